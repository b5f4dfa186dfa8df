package builtin

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestValidateServiceTypeFields: the checks of kube's ValidateService that tie a service's fields
// to its type (kube-apiserver answers each of these creates with 422).
func TestValidateServiceTypeFields(t *testing.T) {
	yes := true
	svc := func(typ corev1.ServiceType, clusterIP string, change func(*corev1.ServiceSpec)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{Type: typ, ClusterIP: clusterIP,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}}}
		if change != nil {
			change(&s.Spec)
		}
		return s
	}
	cases := []struct {
		name string
		obj  *corev1.Service
		want []string
		msg  string // a message one of the errors carries, kube's words
	}{
		{"headless NodePort", svc(corev1.ServiceTypeNodePort, "None", nil),
			[]string{"FieldValueInvalid spec.clusterIPs[0]"}, "may not be set to 'None' for NodePort services"},
		{"headless LoadBalancer", svc(corev1.ServiceTypeLoadBalancer, "None", nil),
			[]string{"FieldValueInvalid spec.clusterIPs[0]"}, "may not be set to 'None' for LoadBalancer services"},
		{"headless ClusterIP", svc(corev1.ServiceTypeClusterIP, "None", nil), nil, ""},
		{"one node port twice for one protocol", svc(corev1.ServiceTypeNodePort, "", func(s *corev1.ServiceSpec) {
			s.Ports = append(s.Ports, corev1.ServicePort{Name: "alt", Port: 8080})
			s.Ports[0].NodePort, s.Ports[2].NodePort = 30080, 30080
		}), []string{"FieldValueDuplicate spec.ports[2].nodePort"}, ""},
		{"one node port for two protocols", svc(corev1.ServiceTypeNodePort, "", func(s *corev1.ServiceSpec) {
			s.Ports[0].NodePort, s.Ports[1].NodePort = 30053, 30053
		}), nil, ""},
		{"special external IPs", svc(corev1.ServiceTypeClusterIP, "", func(s *corev1.ServiceSpec) {
			s.ExternalIPs = []string{"192.0.2.7", "127.0.0.1", "169.254.169.254", "0.0.0.0", "not-an-ip"}
		}), []string{"FieldValueInvalid spec.externalIPs[1]", "FieldValueInvalid spec.externalIPs[2]", "FieldValueInvalid spec.externalIPs[3]", "FieldValueInvalid spec.externalIPs[4]"},
			"may not be in the loopback range (127.0.0.0/8, ::1/128)"},
		{"source ranges without a load balancer", svc(corev1.ServiceTypeNodePort, "", func(s *corev1.ServiceSpec) {
			s.LoadBalancerSourceRanges = []string{"10.0.0.0/8", " 192.168.0.0/16", "10.0.0.0/33"}
		}), []string{"FieldValueForbidden spec.LoadBalancerSourceRanges", "FieldValueInvalid spec.LoadBalancerSourceRanges[2]"},
			"may only be used when `type` is 'LoadBalancer'"},
		{"source ranges on a load balancer", svc(corev1.ServiceTypeLoadBalancer, "", func(s *corev1.ServiceSpec) {
			s.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
		}), nil, ""},
		{"allocateLoadBalancerNodePorts without a load balancer", svc(corev1.ServiceTypeNodePort, "", func(s *corev1.ServiceSpec) {
			s.AllocateLoadBalancerNodePorts = &yes
		}), []string{"FieldValueForbidden spec.allocateLoadBalancerNodePorts"}, "may only be used when `type` is 'LoadBalancer'"},
	}
	r := lookup(t, "", "services")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := create(r, tc.obj)
			if got := errKeys(errs); (len(got) != 0 || len(tc.want) != 0) && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
			if tc.msg != "" && !strings.Contains(errs.ToAggregate().Error(), tc.msg) {
				t.Errorf("errors %v lack %q", errs.ToAggregate(), tc.msg)
			}
		})
	}
}

// TestServiceTrafficPolicyFields: externalTrafficPolicy belongs to externally-accessible services
// (defaulted to Cluster for each, a ClusterIP service with external IPs included) and
// healthCheckNodePort to LoadBalancer services with the Local policy, where it stays as
// allocated; an update that drops what made them apply drops them too, as kube's strategy does.
func TestServiceTrafficPolicyFields(t *testing.T) {
	r := lookup(t, "", "services")
	svc := func(typ corev1.ServiceType, change func(*corev1.ServiceSpec)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{Type: typ, Ports: []corev1.ServicePort{{Port: 80}}}}
		if change != nil {
			change(&s.Spec)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		obj  *corev1.Service
		want []string
		msg  string
	}{
		{"policy on a ClusterIP service", svc(corev1.ServiceTypeClusterIP, func(s *corev1.ServiceSpec) {
			s.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}), []string{"FieldValueInvalid spec.externalTrafficPolicy"}, "may only be set for externally-accessible services"},
		{"unknown policy", svc(corev1.ServiceTypeNodePort, func(s *corev1.ServiceSpec) { s.ExternalTrafficPolicy = "Sometimes" }),
			[]string{"FieldValueNotSupported spec.externalTrafficPolicy"}, `supported values: "Cluster", "Local"`},
		{"health check port without Local", svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.ServiceSpec) { s.HealthCheckNodePort = 30100 }),
			[]string{"FieldValueInvalid spec.healthCheckNodePort"}, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"},
		{"health check port with Local", svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.ServiceSpec) {
			s.ExternalTrafficPolicy, s.HealthCheckNodePort = corev1.ServiceExternalTrafficPolicyLocal, 30100
		}), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := create(r, tc.obj)
			if got := errKeys(errs); (len(got) != 0 || len(tc.want) != 0) && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
			if tc.msg != "" && !strings.Contains(errs.ToAggregate().Error(), tc.msg) {
				t.Errorf("errors %v lack %q", errs.ToAggregate(), tc.msg)
			}
		})
	}

	withExternalIP := stored(t, r, svc(corev1.ServiceTypeClusterIP, func(s *corev1.ServiceSpec) { s.ExternalIPs = []string{"192.0.2.7"} }))
	if got := withExternalIP.Spec.ExternalTrafficPolicy; got != corev1.ServiceExternalTrafficPolicyCluster {
		t.Errorf("a ClusterIP service with external IPs defaulted externalTrafficPolicy to %q, want Cluster", got)
	}
	noExternalIP := withExternalIP.DeepCopy()
	noExternalIP.Spec.ExternalIPs = nil
	if errs := update(r, noExternalIP, withExternalIP); len(errs) != 0 || noExternalIP.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("dropping the external IPs: errors %v, externalTrafficPolicy %q, want none and empty", errs, noExternalIP.Spec.ExternalTrafficPolicy)
	}

	local := stored(t, r, svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.ServiceSpec) {
		s.ExternalTrafficPolicy, s.HealthCheckNodePort = corev1.ServiceExternalTrafficPolicyLocal, 30100
	}))
	applied := local.DeepCopy() // as kubectl apply sends it: without the allocated port
	applied.Spec.HealthCheckNodePort = 0
	if errs := update(r, applied, local); len(errs) != 0 || applied.Spec.HealthCheckNodePort != 30100 {
		t.Errorf("an update leaving the health check port out: errors %v, port %d, want none and 30100", errs, applied.Spec.HealthCheckNodePort)
	}
	moved := local.DeepCopy()
	moved.Spec.HealthCheckNodePort = 30101
	if got := errKeys(update(r, moved, local)); !reflect.DeepEqual(got, []string{"FieldValueForbidden spec.healthCheckNodePort"}) {
		t.Errorf("changing the health check port: errors %q, want it forbidden", got)
	}
}
