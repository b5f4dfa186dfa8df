package builtin_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// TestAddressRepair: records left by writes a crash cut in two are released once three
// consecutive passes found them held by no service, never one a live service holds; a record
// whose service is stored in the meantime is kept; an address a service holds without a record
// gets one.
func TestAddressRepair(t *testing.T) {
	ctx := context.Background()
	c := startEtcd(t)
	res := servicesResource(t)
	ips := etcd3.New(c, "/registry", generic.Codec(builtin.IPAddressRecords))
	ports := etcd3.New(c, "/registry", generic.Codec(builtin.NodePortRecords))
	services := etcd3.New(c, "/registry", generic.Codec(res))
	a := builtin.NewServiceAddresses(ips, ports, nil)
	s := generic.NewStore(res, a.Storage(services), generic.Deps{})
	plain := generic.NewStore(res, services, generic.Deps{})

	live, err := create(s, service("live", "10.96.0.40", corev1.ServiceTypeNodePort, 30040))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// Records taken by creates that never stored their service, and one a service dropped by
	// an update that stopped before releasing it: as a replica that crashed would leave them.
	ipRecord := func(ip, owner string) {
		t.Helper()
		obj := &networkingv1.IPAddress{
			ObjectMeta: metav1.ObjectMeta{Name: ip, Labels: map[string]string{"ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"}},
			Spec:       networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "ns", Name: owner}},
		}
		if _, err := ips.Create(ctx, "/networking.k8s.io/ipaddresses/"+ip, obj); err != nil {
			t.Fatal(err)
		}
	}
	ipRecord("10.96.0.50", "ghost")
	ipRecord("10.96.0.51", "live") // live holds 10.96.0.40, not this one
	ipRecord("10.96.0.52", "inflight")
	if _, err := ports.Create(ctx, "/servicenodeports/30050", &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: "30050", Annotations: map[string]string{"kapi.dev/service": "ns/ghost"}}}); err != nil {
		t.Fatal(err)
	}
	// A service stored without records.
	if _, err := create(plain, service("unrecorded", "10.96.0.60", corev1.ServiceTypeNodePort, 30060)); err != nil {
		t.Fatal(err)
	}

	repair := a.Repair(services, slog.New(slog.DiscardHandler))
	pass := func() {
		t.Helper()
		if err := repair.RunOnce(ctx); err != nil {
			t.Fatalf("repair pass: %v", err)
		}
	}
	kept := []string{
		"/registry/networking.k8s.io/ipaddresses/10.96.0.40",
		"/registry/networking.k8s.io/ipaddresses/10.96.0.52",
		"/registry/networking.k8s.io/ipaddresses/10.96.0.60",
		"/registry/servicenodeports/30040",
		"/registry/servicenodeports/30060",
	}
	leaked := []string{
		"/registry/networking.k8s.io/ipaddresses/10.96.0.50",
		"/registry/networking.k8s.io/ipaddresses/10.96.0.51",
		"/registry/servicenodeports/30050",
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(kept), leaked...)))

	pass()
	if got := recordKeys(t, c); !slices.Equal(got, all) {
		t.Fatalf("after one pass: records %v, want %v (the unrecorded service's added, nothing released)", got, all)
	}
	// The in-flight create stores its service after the first pass saw its record.
	if _, err := create(plain, service("inflight", "10.96.0.52", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatal(err)
	}
	pass()
	if got := recordKeys(t, c); !slices.Equal(got, all) {
		t.Fatalf("after two passes: records %v, want %v", got, all)
	}
	pass()
	if got, want := recordKeys(t, c), slices.Sorted(slices.Values(kept)); !slices.Equal(got, want) {
		t.Fatalf("after three passes: records %v, want %v", got, want)
	}
	for i := 0; i < 3; i++ {
		pass()
	}
	if got, want := recordKeys(t, c), slices.Sorted(slices.Values(kept)); !slices.Equal(got, want) {
		t.Fatalf("after six passes: records %v, want %v", got, want)
	}

	// The released addresses are free again; the live service's stay taken.
	if _, err := create(s, service("reuse", "10.96.0.50", corev1.ServiceTypeNodePort, 30050)); err != nil {
		t.Fatalf("a released address is still taken: %v", err)
	}
	_, err = create(s, service("thief", live.Spec.ClusterIP, corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "thief" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.40"]: failed to allocate IP 10.96.0.40: provided IP is already allocated`)
}
