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
