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
