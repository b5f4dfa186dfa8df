package builtin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register(gvr(rbacv1.GroupName, "roles"), createdAtColumns, typedRow(func(o *rbacv1.Role) []interface{} { return createdAtRow(o) }))
	register(gvr(rbacv1.GroupName, "clusterroles"), createdAtColumns, typedRow(func(o *rbacv1.ClusterRole) []interface{} { return createdAtRow(o) }))
	register(gvr(rbacv1.GroupName, "rolebindings"), roleBindingColumns, typedRow(func(b *rbacv1.RoleBinding) []interface{} {
		return roleBindingRow(b, b.RoleRef, b.Subjects)
	}))
	register(gvr(rbacv1.GroupName, "clusterrolebindings"), roleBindingColumns, typedRow(func(b *rbacv1.ClusterRoleBinding) []interface{} {
		return roleBindingRow(b, b.RoleRef, b.Subjects)
	}))
	register(gvr(coordinationv1.GroupName, "leases"), leaseColumns, typedRow(leaseRow))
	register(gvr(discoveryv1.GroupName, "endpointslices"), endpointSliceColumns, typedRow(endpointSliceRow))
	register(gvr(networkingv1.GroupName, "ingresses"), ingressColumns, typedRow(ingressRow))
	register(gvr(networkingv1.GroupName, "networkpolicies"), networkPolicyColumns, typedRow(networkPolicyRow))
	register(gvr(policyv1.GroupName, "poddisruptionbudgets"), podDisruptionBudgetColumns, typedRow(podDisruptionBudgetRow))
	register(gvr(admissionregistrationv1.GroupName, "mutatingwebhookconfigurations"), webhookConfigurationColumns,
		typedRow(func(c *admissionregistrationv1.MutatingWebhookConfiguration) []interface{} {
			return []interface{}{c.Name, int64(len(c.Webhooks)), age(c.CreationTimestamp)}
		}))
	register(gvr(admissionregistrationv1.GroupName, "validatingwebhookconfigurations"), webhookConfigurationColumns,
		typedRow(func(c *admissionregistrationv1.ValidatingWebhookConfiguration) []interface{} {
			return []interface{}{c.Name, int64(len(c.Webhooks)), age(c.CreationTimestamp)}
		}))
}

func roleBindingColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Role", "string", rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"], 0),
		ageColumn,
		column("Users", "string", "Users in the roleBinding", 1),
		column("Groups", "string", "Groups in the roleBinding", 1),
		column("ServiceAccounts", "string", "ServiceAccounts in the roleBinding", 1),
	}
}

func roleBindingRow(m metav1.Object, ref rbacv1.RoleRef, subjects []rbacv1.Subject) []interface{} {
	var users, groups, sas []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+":"+s.Name)
		}
	}
	return []interface{}{
		m.GetName(),
		fmt.Sprintf("%s/%s", ref.Kind, ref.Name),
		age(m.GetCreationTimestamp()),
		strings.Join(users, ", "),
		strings.Join(groups, ", "),
		strings.Join(sas, ", "),
	}
}

func leaseColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Holder", "string", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"], 0),
		ageColumn,
	}
}

func leaseRow(l *coordinationv1.Lease) []interface{} {
	return []interface{}{l.Name, deref(l.Spec.HolderIdentity), age(l.CreationTimestamp)}
}

func endpointSliceColumns() []metav1.TableColumnDefinition {
	doc := discoveryv1.EndpointSlice{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("AddressType", "string", doc["addressType"], 0),
		column("Ports", "string", doc["ports"], 0),
		column("Endpoints", "string", doc["endpoints"], 0),
		ageColumn,
	}
}

func endpointSliceRow(s *discoveryv1.EndpointSlice) []interface{} {
	const max = 3
	var ports []string
	for _, p := range s.Ports {
		if len(ports) < max {
			switch {
			case p.Port != nil:
				ports = append(ports, strconv.Itoa(int(*p.Port)))
			case p.Name != nil:
				ports = append(ports, *p.Name)
			default:
				ports = append(ports, "*")
			}
		}
	}
	var addrs []string
	count := 0
	for _, e := range s.Endpoints {
		for _, a := range e.Addresses {
			if len(addrs) < max {
				addrs = append(addrs, a)
			}
			count++
		}
	}
	return []interface{}{
		s.Name,
		string(s.AddressType),
		listWithMore(ports, len(s.Ports), max),
		listWithMore(addrs, count, max),
		age(s.CreationTimestamp),
	}
}

// listWithMore joins at most max items and says how many more there were.
func listWithMore(list []string, count, max int) string {
	out := strings.Join(list, ",")
	if count > max {
		return fmt.Sprintf("%s + %d more...", out, count-max)
	}
	if out == "" {
		return "<unset>"
	}
	return out
}

func ingressColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Class", "string", "The name of the IngressClass resource that should be used for this Ingress.", 0),
		column("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule", 0),
		column("Address", "string", "Address is a list containing ingress points for the load-balancer", 0),
		column("Ports", "string", "Ports of TLS configurations that open", 0),
		ageColumn,
	}
}

func ingressRow(in *networkingv1.Ingress) []interface{} {
	class := "<none>"
	if in.Spec.IngressClassName != nil {
		class = *in.Spec.IngressClassName
	}
	const max = 3
	var hosts []string
	for _, r := range in.Spec.Rules {
		if len(hosts) < max && r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	hostCell := "*"
	if len(hosts) > 0 {
		hostCell = strings.Join(hosts, ",")
		if len(in.Spec.Rules) > max {
			hostCell = fmt.Sprintf("%s + %d more...", hostCell, len(in.Spec.Rules)-max)
		}
	}
	// Addresses come sorted and without duplicates, as kubectl prints them.
	seen := map[string]bool{}
	var addrs []string
	for _, lb := range in.Status.LoadBalancer.Ingress {
		a := lb.IP
		if a == "" {
			a = lb.Hostname
		}
		if a != "" && !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	sort.Strings(addrs)
	ports := "80"
	if len(in.Spec.TLS) != 0 {
		ports = "80, 443"
	}
	return []interface{}{in.Name, class, hostCell, strings.Join(addrs, ","), ports, age(in.CreationTimestamp)}
}

func networkPolicyColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Pod-Selector", "string", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"], 0),
		ageColumn,
	}
}

func networkPolicyRow(np *networkingv1.NetworkPolicy) []interface{} {
	return []interface{}{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), age(np.CreationTimestamp)}
}

func podDisruptionBudgetColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Min Available", "string", "The minimum number of pods that must be available.", 0),
		column("Max Unavailable", "string", "The maximum number of pods that may be unavailable.", 0),
		column("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time.", 0),
		ageColumn,
	}
}

func podDisruptionBudgetRow(p *policyv1.PodDisruptionBudget) []interface{} {
	minAvailable, maxUnavailable := "N/A", "N/A"
	if p.Spec.MinAvailable != nil {
		minAvailable = p.Spec.MinAvailable.String()
	}
	if p.Spec.MaxUnavailable != nil {
		maxUnavailable = p.Spec.MaxUnavailable.String()
	}
	return []interface{}{p.Name, minAvailable, maxUnavailable, int64(p.Status.DisruptionsAllowed), age(p.CreationTimestamp)}
}

func webhookConfigurationColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Webhooks", "integer", "Webhooks indicates the number of webhooks in this configuration", 0),
		ageColumn,
	}
}
