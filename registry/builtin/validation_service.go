package builtin

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateServiceTypeFields is the part of kube's ValidateService that ties fields to the
// service's type: a NodePort or LoadBalancer service is never headless, a node port is used once
// per protocol, external IPs are real unicast addresses, the load balancer's fields belong to
// LoadBalancer services, and the external traffic policy and health check node port to the
// services that use them.
func validateServiceTypeFields(svc *corev1.Service, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ips := clusterIPsOf(svc); len(ips) > 0 && ips[0] == corev1.ClusterIPNone {
		switch svc.Spec.Type {
		case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
			errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(0), ips[0],
				fmt.Sprintf("may not be set to 'None' for %s services", svc.Spec.Type)))
		}
	}

	type nodePortKey struct {
		protocol corev1.Protocol
		port     int32
	}
	nodePorts := map[nodePortKey]bool{}
	for i, p := range svc.Spec.Ports {
		if p.NodePort == 0 {
			continue
		}
		k := nodePortKey{p.Protocol, p.NodePort}
		if nodePorts[k] {
			errs = append(errs, field.Duplicate(spec.Child("ports").Index(i).Child("nodePort"), p.NodePort))
		}
		nodePorts[k] = true
	}

	for i, ip := range svc.Spec.ExternalIPs {
		path := spec.Child("externalIPs").Index(i)
		if bad := validation.IsValidIP(path, ip); len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		errs = append(errs, validateNonSpecialIP(ip, path)...)
	}

	notLoadBalancer := svc.Spec.Type != corev1.ServiceTypeLoadBalancer
	if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
		// kube's path, capital L and all.
		path := spec.Child("LoadBalancerSourceRanges")
		if notLoadBalancer {
			errs = append(errs, field.Forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
		}
		for i, cidr := range svc.Spec.LoadBalancerSourceRanges {
			// Space-padded values are tolerated, as kube tolerates them for history's sake.
			errs = append(errs, validation.IsValidCIDR(path.Index(i), strings.TrimSpace(cidr))...)
		}
	}
	if svc.Spec.AllocateLoadBalancerNodePorts != nil && notLoadBalancer {
		errs = append(errs, field.Forbidden(spec.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}

	// The traffic policy fields. The health check node port is allocated before validation
	// (generic.WriteBeginner), so it is required where it applies, as in kube.
	etp := svc.Spec.ExternalTrafficPolicy
	switch {
	case !externallyAccessible(svc) && etp != "":
		errs = append(errs, field.Invalid(spec.Child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
	case etp != "" && etp != corev1.ServiceExternalTrafficPolicyCluster && etp != corev1.ServiceExternalTrafficPolicyLocal:
		errs = append(errs, field.NotSupported(spec.Child("externalTrafficPolicy"), etp,
			[]corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}))
	}
	if hc := svc.Spec.HealthCheckNodePort; hc == 0 && needsHealthCheck(svc) {
		errs = append(errs, field.Required(spec.Child("healthCheckNodePort"), ""))
	} else if hc != 0 {
		path := spec.Child("healthCheckNodePort")
		if !needsHealthCheck(svc) {
			errs = append(errs, field.Invalid(path, hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		} else {
			for _, msg := range validation.IsValidPortNum(int(hc)) {
				errs = append(errs, field.Invalid(path, hc, msg))
			}
		}
	}
	return errs
}

// validateServiceTrafficUpdate: a health check node port stays as allocated while the service
// needs one (kube's validateServiceExternalTrafficFieldsUpdate).
func validateServiceTrafficUpdate(svc, old *corev1.Service) field.ErrorList {
	if needsHealthCheck(old) && needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != old.Spec.HealthCheckNodePort {
		return field.ErrorList{field.Forbidden(field.NewPath("spec", "healthCheckNodePort"), "field is immutable")}
	}
	return nil
}

// externallyAccessible reports whether traffic reaches the service from outside the cluster
// (kube's ExternallyAccessible): node ports, a load balancer, or external IPs.
func externallyAccessible(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort ||
		(svc.Spec.Type == corev1.ServiceTypeClusterIP && len(svc.Spec.ExternalIPs) > 0)
}

// needsHealthCheck reports whether the service has a health check node port (kube's
// NeedsHealthCheck).
func needsHealthCheck(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// validateNonSpecialIP refuses addresses no endpoint or external IP may have: unspecified,
// loopback, link-local, link-local multicast (kube's ValidateNonSpecialIP).
func validateNonSpecialIP(s string, path *field.Path) field.ErrorList {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return field.ErrorList{field.Invalid(path, s, "must be a valid IP address")}
	}
	var errs field.ErrorList
	if ip.IsUnspecified() {
		errs = append(errs, field.Invalid(path, s, fmt.Sprintf("may not be unspecified (%v)", s)))
	}
	if ip.IsLoopback() {
		errs = append(errs, field.Invalid(path, s, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	}
	if ip.IsLinkLocalUnicast() {
		errs = append(errs, field.Invalid(path, s, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	}
	if ip.IsLinkLocalMulticast() {
		errs = append(errs, field.Invalid(path, s, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return errs
}
