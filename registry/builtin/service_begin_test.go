package builtin_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// The services' storage begins its writes before validation and admission.
var _ generic.WriteBeginner = builtin.NewServiceAddresses(nil, nil, nil).Storage(nil).(generic.WriteBeginner)

// seen records what a validating admission plugin was shown, and refuses when told to.
type seen struct {
	services []*corev1.Service
	refuse   bool
}

var errRefused = apierrors.NewForbidden(corev1.Resource("services"), "", errors.New("refused by the test's admission"))

func (s *seen) admission() registry.Admission {
	return registry.Admission{Validate: func(_ context.Context, obj, _ runtime.Object) error {
		s.services = append(s.services, obj.(*corev1.Service).DeepCopy())
		if s.refuse {
			return errRefused
		}
		return nil
	}}
}

func (s *seen) last(t *testing.T) *corev1.Service {
	t.Helper()
	if len(s.services) == 0 {
		t.Fatal("validating admission was not called")
	}
	return s.services[len(s.services)-1]
}

func createWith(s *generic.Store, svc *corev1.Service, adm registry.Admission, dryRun bool) (*corev1.Service, error) {
	opts := &metav1.CreateOptions{}
	if dryRun {
		opts.DryRun = dryRunAll
	}
	out, err := s.Create(context.Background(), "ns", svc, adm, opts)
	if err != nil {
		return nil, err
	}
	return out.(*corev1.Service), nil
}

func updateWith(s *generic.Store, name string, change func(*corev1.Service), adm registry.Admission, opts *metav1.UpdateOptions) (*corev1.Service, error) {
	out, _, err := s.Update(context.Background(), "ns", name, "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		svc := cur.DeepCopyObject().(*corev1.Service)
		change(svc)
		return svc, nil
	}, adm, false, opts)
	if err != nil {
		return nil, err
	}
	return out.(*corev1.Service), nil
}

// TestServiceAdmissionSeesAllocatedAddresses: as in kube, the addresses are allocated before
// validating admission, so a plugin sees the cluster IP, node ports and health check node port
// the service is stored with, in a dry run too.
func TestServiceAdmissionSeesAllocatedAddresses(t *testing.T) {
	c := startEtcd(t)
	s := replica(t, c)
	var adm seen

	lb := service("lb", "", corev1.ServiceTypeLoadBalancer, 0)
	lb.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	for _, dryRun := range []bool{true, false} {
		out, err := createWith(s, lb.DeepCopy(), adm.admission(), dryRun)
		if err != nil {
			t.Fatalf("create (dry run %v): %v", dryRun, err)
		}
		got := adm.last(t)
		if got.Spec.ClusterIP == "" || !slices.Equal(got.Spec.ClusterIPs, []string{got.Spec.ClusterIP}) ||
			got.Spec.Ports[0].NodePort == 0 || got.Spec.HealthCheckNodePort == 0 {
			t.Fatalf("dry run %v: admission saw clusterIP %q, clusterIPs %v, nodePort %d, healthCheckNodePort %d, want all allocated",
				dryRun, got.Spec.ClusterIP, got.Spec.ClusterIPs, got.Spec.Ports[0].NodePort, got.Spec.HealthCheckNodePort)
		}
		if out.Spec.ClusterIP != got.Spec.ClusterIP || out.Spec.Ports[0].NodePort != got.Spec.Ports[0].NodePort ||
			out.Spec.HealthCheckNodePort != got.Spec.HealthCheckNodePort {
			t.Errorf("dry run %v: admission saw %v/%d/%d, the answer has %v/%d/%d", dryRun,
				got.Spec.ClusterIP, got.Spec.Ports[0].NodePort, got.Spec.HealthCheckNodePort,
				out.Spec.ClusterIP, out.Spec.Ports[0].NodePort, out.Spec.HealthCheckNodePort)
		}
	}

	// An update to NodePort: admission sees the node port the update allocates.
	if _, err := create(s, service("web", "", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("create web: %v", err)
	}
	out, err := updateWith(s, "web", func(svc *corev1.Service) { svc.Spec.Type = corev1.ServiceTypeNodePort }, adm.admission(), nil)
	if err != nil {
		t.Fatalf("update to NodePort: %v", err)
	}
	if np := adm.last(t).Spec.Ports[0].NodePort; np == 0 || np != out.Spec.Ports[0].NodePort {
		t.Errorf("admission of the update saw node port %d, the stored service has %d", np, out.Spec.Ports[0].NodePort)
	}
}

// TestServiceHealthCheckNodePortRequired: kube's rule, which needs the allocation first: a
// LoadBalancer service with externalTrafficPolicy Local must have a health check node port.
// With allocation the port is filled (whatever allocateLoadBalancerNodePorts says, as kube
// does); a store that allocates nothing meets the rule.
func TestServiceHealthCheckNodePortRequired(t *testing.T) {
	c := startEtcd(t)
	res := servicesResource(t)
	no := false
	lb := service("lb", "", corev1.ServiceTypeLoadBalancer, 0)
	lb.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	lb.Spec.AllocateLoadBalancerNodePorts = &no

	plain := generic.NewStore(res, etcd3.New(c, "/registry", generic.Codec(res)), generic.Deps{})
	_, err := create(plain, lb.DeepCopy())
	wantInvalid(t, err, `Service "lb" is invalid: spec.healthCheckNodePort: Required value`)

	out, err := create(replica(t, c), lb.DeepCopy())
	if err != nil {
		t.Fatalf("create with allocation: %v", err)
	}
	if out.Spec.HealthCheckNodePort == 0 || out.Spec.Ports[0].NodePort != 0 {
		t.Errorf("healthCheckNodePort %d, nodePort %d: want a health check port and no node port", out.Spec.HealthCheckNodePort, out.Spec.Ports[0].NodePort)
	}
}

// TestServiceCreateNotStoredReleases: a create that fails after its addresses were allocated
// (validating admission, validation, the name taken) leaves no record behind; the address is
// free for the next create at once.
func TestServiceCreateNotStoredReleases(t *testing.T) {
	c := startEtcd(t)
	s := replica(t, c)

	refusing := &seen{refuse: true}
	_, err := createWith(s, service("refused", "10.96.0.40", corev1.ServiceTypeNodePort, 30040), refusing.admission(), false)
	if !errors.Is(err, errRefused) {
		t.Fatalf("create refused by admission: %v", err)
	}
	if got := refusing.last(t); got.Spec.ClusterIP != "10.96.0.40" || got.Spec.Ports[0].NodePort != 30040 {
		t.Errorf("admission saw %q/%d", got.Spec.ClusterIP, got.Spec.Ports[0].NodePort)
	}
	if keys := recordKeys(t, c); len(keys) != 0 {
		t.Fatalf("a create refused by admission left records %v", keys)
	}
	if _, err := create(s, service("accepted", "10.96.0.40", corev1.ServiceTypeNodePort, 30040)); err != nil {
		t.Fatalf("the refused create's addresses are not free: %v", err)
	}

	// Refused by validation, which now runs after the allocation: a bad selector.
	invalid := service("invalid", "10.96.0.41", corev1.ServiceTypeNodePort, 30041)
	invalid.Spec.Selector = map[string]string{"app": "no spaces allowed"}
	if _, err := create(s, invalid); !apierrors.IsInvalid(err) {
		t.Fatalf("invalid create: %v, want 422", err)
	}
	if _, err := create(s, service("valid", "10.96.0.41", corev1.ServiceTypeNodePort, 30041)); err != nil {
		t.Fatalf("the invalid create's addresses are not free: %v", err)
	}

	// A name that is taken is found before anything is allocated.
	before := recordKeys(t, c)
	if _, err := create(s, service("valid", "10.96.0.42", corev1.ServiceTypeClusterIP, 0)); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create of a taken name: %v, want AlreadyExists", err)
	}
	if after := recordKeys(t, c); !slices.Equal(after, before) {
		t.Errorf("a create of a taken name changed the records: %v, then %v", before, after)
	}
}

// TestServiceUpdateNotStoredReleases: an update that fails releases only what it allocated,
// never what the stored service holds; an update that is stored releases what it dropped.
func TestServiceUpdateNotStoredReleases(t *testing.T) {
	c := startEtcd(t)
	s := replica(t, c)
	if _, err := create(s, service("web", "10.96.0.50", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("create: %v", err)
	}
	held := recordKeys(t, c)
	toNodePort := func(svc *corev1.Service) {
		svc.Spec.Type = corev1.ServiceTypeNodePort
		svc.Spec.Ports[0].NodePort = 30050
	}

	refusing := &seen{refuse: true}
	if _, err := updateWith(s, "web", toNodePort, refusing.admission(), nil); !errors.Is(err, errRefused) {
		t.Fatalf("update refused by admission: %v", err)
	}
	if np := refusing.last(t).Spec.Ports[0].NodePort; np != 30050 {
		t.Errorf("admission of the update saw node port %d", np)
	}
	if after := recordKeys(t, c); !slices.Equal(after, held) {
		t.Fatalf("a refused update changed the records: %v, then %v", held, after)
	}

	// A conflict found when the update is stored: another write lands between this update's
	// read and its compare-and-swap (here, from inside admission), and the client pinned the
	// resourceVersion it read, so the retry is a 409. The first try's node port is given back.
	cur, err := s.Get(context.Background(), "ns", "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	pinned := cur.(*corev1.Service).ResourceVersion
	raced := false
	racing := registry.Admission{Validate: func(_ context.Context, obj, _ runtime.Object) error {
		if raced {
			return nil
		}
		raced = true
		if np := obj.(*corev1.Service).Spec.Ports[0].NodePort; np != 30050 {
			t.Errorf("the racing update's admission saw node port %d", np)
		}
		_, err := updateWith(s, "web", func(svc *corev1.Service) { svc.Labels = map[string]string{"v": "2"} }, registry.Admission{}, nil)
		return err
	}}
	pinnedToNodePort := func(svc *corev1.Service) {
		toNodePort(svc)
		svc.ResourceVersion = pinned
	}
	if _, err := updateWith(s, "web", pinnedToNodePort, racing, nil); !apierrors.IsConflict(err) || !raced {
		t.Fatalf("update that lost a race: %v (raced %v), want 409", err, raced)
	}
	if after := recordKeys(t, c); !slices.Equal(after, held) {
		t.Fatalf("an update that lost a race changed the records: %v, then %v", held, after)
	}

	// The port is free: another service takes it, and the stored update then gives it back
	// when it moves to ClusterIP again.
	if _, err := updateWith(s, "web", toNodePort, registry.Admission{}, nil); err != nil {
		t.Fatalf("update to NodePort: %v", err)
	}
	if _, err := create(s, service("other", "", corev1.ServiceTypeNodePort, 30050)); !apierrors.IsInvalid(err) {
		t.Fatalf("node port 30050 held by web: %v, want 422", err)
	}
	if _, err := updateWith(s, "web", func(svc *corev1.Service) { svc.Spec.Type = corev1.ServiceTypeClusterIP }, refusing.admission(), nil); !errors.Is(err, errRefused) {
		t.Fatalf("refused update to ClusterIP: %v", err)
	}
	if _, err := create(s, service("other", "", corev1.ServiceTypeNodePort, 30050)); !apierrors.IsInvalid(err) {
		t.Fatalf("a refused update released web's node port: %v, want 422", err)
	}
	if _, err := updateWith(s, "web", func(svc *corev1.Service) { svc.Spec.Type = corev1.ServiceTypeClusterIP }, registry.Admission{}, nil); err != nil {
		t.Fatalf("update to ClusterIP: %v", err)
	}
	if _, err := create(s, service("other", "", corev1.ServiceTypeNodePort, 30050)); err != nil {
		t.Fatalf("node port 30050 not released by the stored update: %v", err)
	}
}
