package e2e

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestServiceDryRunShowsAddressesAndKeepsNone: kube-apiserver 1.27+ answers a dry-run create of a
// NodePort service with the cluster IP and node port it would allocate, and reserves neither: a
// real create may then ask for exactly those. A dry run asking for a taken node port is the
// same 422 as a real create.
func TestServiceDryRunShowsAddressesAndKeepsNone(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	services := clientset.CoreV1().Services(ns)
	nodePort := func(name string, ip string, port int32) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: ip, Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Port: 80, NodePort: port}}},
		}
	}
	dry, err := services.Create(ctx, nodePort("web", "", 0), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	ip, err := netip.ParseAddr(dry.Spec.ClusterIP)
	if err != nil || len(dry.Spec.ClusterIPs) != 1 || dry.Spec.ClusterIPs[0] != dry.Spec.ClusterIP {
		t.Fatalf("dry run: clusterIP %q, clusterIPs %v, want an allocated address", dry.Spec.ClusterIP, dry.Spec.ClusterIPs)
	}
	port := dry.Spec.Ports[0].NodePort
	if port == 0 {
		t.Fatal("dry run: no node port")
	}
	if _, err := services.Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get after a dry run: %v, want NotFound", err)
	}

	// Nothing was reserved: a real create gets the very addresses the dry run showed.
	created, err := services.Create(ctx, nodePort("web", ip.String(), port), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create with the dry run's addresses: %v", err)
	}
	if created.Spec.ClusterIP != ip.String() || created.Spec.Ports[0].NodePort != port {
		t.Fatalf("create got %s:%d, want %s:%d", created.Spec.ClusterIP, created.Spec.Ports[0].NodePort, ip, port)
	}

	_, err = services.Create(ctx, nodePort("other", "", port), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.ports[0].nodePort") || !strings.Contains(err.Error(), "provided port is already allocated") {
		t.Fatalf("dry run with a taken node port: %v, want 422 provided port is already allocated", err)
	}
}

// TestServiceFieldsTiedToTheType: kube-apiserver refuses a headless NodePort service, a node
// port used twice for one protocol, and a loopback external IP, each with a 422 naming the field.
func TestServiceFieldsTiedToTheType(t *testing.T) {
	ctx := context.Background()
	services := clientset.CoreV1().Services(testNamespace(t))
	cases := []struct {
		name   string
		change func(*corev1.ServiceSpec)
		want   string
	}{
		{"headless-nodeport", func(s *corev1.ServiceSpec) { s.ClusterIP = corev1.ClusterIPNone },
			`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`},
		{"duplicate-nodeport", func(s *corev1.ServiceSpec) {
			s.Ports = append(s.Ports, corev1.ServicePort{Name: "alt", Port: 8080, NodePort: 30099})
			s.Ports[0].Name, s.Ports[0].NodePort = "http", 30099
		}, `spec.ports[1].nodePort: Duplicate value: 30099`},
		{"loopback-external-ip", func(s *corev1.ServiceSpec) { s.ExternalIPs = []string{"127.0.0.1"} },
			`spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: tc.name}, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "x"}, Ports: []corev1.ServicePort{{Port: 80}}}}
			tc.change(&svc.Spec)
			_, err := services.Create(ctx, svc, metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("create: %v, want 422 with %q", err, tc.want)
			}
		})
	}
}
