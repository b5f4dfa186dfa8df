package builtin

import (
	"bytes"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func init() {
	register(gvr("", "services"), serviceColumns, typedRow(serviceRow))
	register(gvr("", "configmaps"), configMapColumns, typedRow(configMapRow))
	register(gvr("", "secrets"), secretColumns, typedRow(secretRow))
	register(gvr("", "namespaces"), namespaceColumns, typedRow(namespaceRow))
	register(gvr("", "serviceaccounts"), serviceAccountColumns, typedRow(serviceAccountRow))
	register(gvr("", "endpoints"), endpointsColumns, typedRow(endpointsRow))
	register(gvr("", "nodes"), nodeColumns, typedRow(nodeRow))
	register(gvr("", "limitranges"), createdAtColumns, typedRow(func(o *corev1.LimitRange) []interface{} { return createdAtRow(o) }))
	register(gvr("", "resourcequotas"), resourceQuotaColumns, typedRow(resourceQuotaRow))
	register(gvr("", "persistentvolumes"), persistentVolumeColumns, typedRow(persistentVolumeRow))
	register(gvr("", "persistentvolumeclaims"), persistentVolumeClaimColumns, typedRow(persistentVolumeClaimRow))
	register(gvr("", "podtemplates"), podTemplateColumns, typedRow(podTemplateRow))
	register(gvr("", "replicationcontrollers"), replicationControllerColumns, typedRow(replicationControllerRow))
}

func serviceColumns() []metav1.TableColumnDefinition {
	doc := corev1.ServiceSpec{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Type", "string", doc["type"], 0),
		column("Cluster-IP", "string", doc["clusterIP"], 0),
		column("External-IP", "string", doc["externalIPs"], 0),
		column("Port(s)", "string", doc["ports"], 0),
		ageColumn,
		column("Selector", "string", doc["selector"], 1),
	}
}

func serviceRow(svc *corev1.Service) []interface{} {
	ports := make([]string, 0, len(svc.Spec.Ports))
	for _, p := range svc.Spec.Ports {
		if p.NodePort > 0 {
			ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
		} else {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
	}
	clusterIP := svc.Spec.ClusterIP
	if len(svc.Spec.ClusterIPs) > 0 {
		clusterIP = svc.Spec.ClusterIPs[0]
	}
	return []interface{}{
		svc.Name,
		string(svc.Spec.Type),
		orNone(clusterIP),
		serviceExternalIP(svc),
		orNone(strings.Join(ports, ",")),
		age(svc.CreationTimestamp),
		labels.FormatLabels(svc.Spec.Selector),
	}
}

// serviceExternalIP is kubectl's EXTERNAL-IP cell (server-side tables are always wide, so
// load-balancer addresses are never truncated).
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return orNone(strings.Join(svc.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		// Load-balancer addresses come sorted and without duplicates, then the external IPs.
		lb := map[string]bool{}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				lb[in.IP] = true
			} else if in.Hostname != "" {
				lb[in.Hostname] = true
			}
		}
		ips := make([]string, 0, len(lb)+len(svc.Spec.ExternalIPs))
		for a := range lb {
			ips = append(ips, a)
		}
		sort.Strings(ips)
		ips = append(ips, svc.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

func configMapColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn, column("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"], 0), ageColumn}
}

func configMapRow(cm *corev1.ConfigMap) []interface{} {
	return []interface{}{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp)}
}

func secretColumns() []metav1.TableColumnDefinition {
	doc := corev1.Secret{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{nameColumn, column("Type", "string", doc["type"], 0), column("Data", "string", doc["data"], 0), ageColumn}
}

func secretRow(s *corev1.Secret) []interface{} {
	return []interface{}{s.Name, string(s.Type), int64(len(s.Data)), age(s.CreationTimestamp)}
}

func namespaceColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn, column("Status", "string", "The status of the namespace", 0), ageColumn}
}

func namespaceRow(ns *corev1.Namespace) []interface{} {
	return []interface{}{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp)}
}

func serviceAccountColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn, column("Secrets", "string", corev1.ServiceAccount{}.SwaggerDoc()["secrets"], 0), ageColumn}
}

func serviceAccountRow(sa *corev1.ServiceAccount) []interface{} {
	return []interface{}{sa.Name, int64(len(sa.Secrets)), age(sa.CreationTimestamp)}
}

func endpointsColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn, column("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"], 0), ageColumn}
}

// endpointsRow lists at most three addresses, as kubectl does, then "+ N more...".
func endpointsRow(ep *corev1.Endpoints) []interface{} {
	return []interface{}{ep.Name, formatEndpoints(ep), age(ep.CreationTimestamp)}
}

func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	count, more := 0, false
	add := func(s string) {
		if len(list) == max {
			more = true
			return
		}
		list = append(list, s)
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", out, count-max)
	}
	return out
}

func nodeColumns() []metav1.TableColumnDefinition {
	info := corev1.NodeSystemInfo{}.SwaggerDoc()
	addrs := corev1.NodeStatus{}.SwaggerDoc()["addresses"]
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Status", "string", "The status of the node", 0),
		column("Roles", "string", "The roles of the node", 0),
		ageColumn,
		column("Version", "string", info["kubeletVersion"], 0),
		column("Internal-IP", "string", addrs, 1),
		column("External-IP", "string", addrs, 1),
		column("OS-Image", "string", info["osImage"], 1),
		column("Kernel-Version", "string", info["kernelVersion"], 1),
		column("Container-Runtime", "string", info["containerRuntimeVersion"], 1),
	}
}

func nodeRow(n *corev1.Node) []interface{} {
	var status []string
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			status = append(status, string(c.Type))
		} else {
			status = append(status, "Not"+string(c.Type))
		}
		break
	}
	if len(status) == 0 {
		status = append(status, "Unknown")
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}
	unknown := func(s string) string {
		if s == "" {
			return "<unknown>"
		}
		return s
	}
	return []interface{}{
		n.Name,
		strings.Join(status, ","),
		orNone(strings.Join(nodeRoles(n), ",")),
		age(n.CreationTimestamp),
		n.Status.NodeInfo.KubeletVersion,
		nodeAddress(n, corev1.NodeInternalIP),
		nodeAddress(n, corev1.NodeExternalIP),
		unknown(n.Status.NodeInfo.OSImage),
		unknown(n.Status.NodeInfo.KernelVersion),
		unknown(n.Status.NodeInfo.ContainerRuntimeVersion),
	}
}

// nodeRoles reads the roles from node-role.kubernetes.io/<role> and kubernetes.io/role labels.
func nodeRoles(n *corev1.Node) []string {
	roles := map[string]bool{}
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				roles[role] = true
			}
		case k == "kubernetes.io/role" && v != "":
			roles[v] = true
		}
	}
	out := make([]string, 0, len(roles))
	for r := range roles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

// createdAtColumns is kube's table for limit ranges, roles and cluster roles: NAME, CREATED AT.
func createdAtColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn, column("Created At", "date", metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"], 0)}
}

func createdAtRow(m metav1.Object) []interface{} {
	return []interface{}{m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)}
}

func resourceQuotaColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		ageColumn,
		column("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume.", 0),
		column("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", 0),
	}
}

func resourceQuotaRow(q *corev1.ResourceQuota) []interface{} {
	names := make([]string, 0, len(q.Status.Hard))
	for name := range q.Status.Hard {
		names = append(names, string(name))
	}
	sort.Strings(names)
	var request, limit bytes.Buffer
	for _, name := range names {
		w := &request
		if strings.HasPrefix(name, "limits.") {
			w = &limit
		}
		used, hard := q.Status.Used[corev1.ResourceName(name)], q.Status.Hard[corev1.ResourceName(name)]
		fmt.Fprintf(w, "%s: %s/%s, ", name, used.String(), hard.String())
	}
	return []interface{}{
		q.Name,
		age(q.CreationTimestamp),
		strings.TrimSuffix(request.String(), ", "),
		strings.TrimSuffix(limit.String(), ", "),
	}
}

func persistentVolumeColumns() []metav1.TableColumnDefinition {
	spec := corev1.PersistentVolumeSpec{}.SwaggerDoc()
	status := corev1.PersistentVolumeStatus{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Capacity", "string", spec["capacity"], 0),
		column("Access Modes", "string", spec["accessModes"], 0),
		column("Reclaim Policy", "string", spec["persistentVolumeReclaimPolicy"], 0),
		column("Status", "string", status["phase"], 0),
		column("Claim", "string", spec["claimRef"], 0),
		column("StorageClass", "string", "StorageClass of the pv", 0),
		column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv", 0),
		column("Reason", "string", status["reason"], 0),
		ageColumn,
		column("VolumeMode", "string", spec["volumeMode"], 1),
	}
}

func persistentVolumeRow(pv *corev1.PersistentVolume) []interface{} {
	claim := ""
	if pv.Spec.ClaimRef != nil {
		claim = pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name
	}
	phase := string(pv.Status.Phase)
	if pv.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	class := pv.Spec.StorageClassName
	if c, ok := pv.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	return []interface{}{
		pv.Name,
		capacity.String(),
		accessModes(pv.Spec.AccessModes),
		string(pv.Spec.PersistentVolumeReclaimPolicy),
		phase,
		claim,
		class,
		unset(pv.Spec.VolumeAttributesClassName),
		pv.Status.Reason,
		age(pv.CreationTimestamp),
		unsetMode(pv.Spec.VolumeMode),
	}
}

func persistentVolumeClaimColumns() []metav1.TableColumnDefinition {
	spec := corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Status", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"], 0),
		column("Volume", "string", spec["volumeName"], 0),
		column("Capacity", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"], 0),
		column("Access Modes", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"], 0),
		column("StorageClass", "string", "StorageClass of the pvc", 0),
		column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc", 0),
		ageColumn,
		column("VolumeMode", "string", spec["volumeMode"], 1),
	}
}

func persistentVolumeClaimRow(pvc *corev1.PersistentVolumeClaim) []interface{} {
	phase := string(pvc.Status.Phase)
	if pvc.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		q := pvc.Status.Capacity[corev1.ResourceStorage]
		capacity = q.String()
		modes = accessModes(pvc.Status.AccessModes)
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	return []interface{}{
		pvc.Name,
		phase,
		pvc.Spec.VolumeName,
		capacity,
		modes,
		class,
		unset(pvc.Spec.VolumeAttributesClassName),
		age(pvc.CreationTimestamp),
		unsetMode(pvc.Spec.VolumeMode),
	}
}

// accessModes abbreviates access modes in kubectl's fixed order.
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	has := map[corev1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{
		{corev1.ReadWriteOnce, "RWO"}, {corev1.ReadOnlyMany, "ROX"}, {corev1.ReadWriteMany, "RWX"}, {corev1.ReadWriteOncePod, "RWOP"},
	} {
		if has[m.mode] {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

func unset(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

func unsetMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

func podTemplateColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Containers", "string", "Names of each container in the template.", 0),
		column("Images", "string", "Images referenced by each container in the template.", 0),
		column("Pod Labels", "string", "The labels for the pod template.", 0),
	}
}

func podTemplateRow(t *corev1.PodTemplate) []interface{} {
	containers, images := podTemplateCells(t.Template.Spec)
	return []interface{}{t.Name, containers, images, labels.FormatLabels(t.Template.Labels)}
}

func replicationControllerColumns() []metav1.TableColumnDefinition {
	spec := corev1.ReplicationControllerSpec{}.SwaggerDoc()
	status := corev1.ReplicationControllerStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Desired", "integer", spec["replicas"], 0),
		column("Current", "integer", status["replicas"], 0),
		column("Ready", "integer", status["readyReplicas"], 0),
		ageColumn,
	}, templateColumns(spec["selector"])...)
}

func replicationControllerRow(rc *corev1.ReplicationController) []interface{} {
	var containers, images string
	if rc.Spec.Template != nil {
		containers, images = podTemplateCells(rc.Spec.Template.Spec)
	}
	return []interface{}{
		rc.Name,
		int64(deref(rc.Spec.Replicas)),
		int64(rc.Status.Replicas),
		int64(rc.Status.ReadyReplicas),
		age(rc.CreationTimestamp),
		containers,
		images,
		labels.FormatLabels(rc.Spec.Selector),
	}
}

// deref returns *p, or zero for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
