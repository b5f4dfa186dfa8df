package builtin_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage/embedded"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// startEtcd starts an embedded etcd for one test and returns a client to it.
func startEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	_, c := embeddedtest.Start(t, embedded.Config{})
	return c
}

// servicesResource is the services descriptor.
func servicesResource(t *testing.T) *registry.Resource {
	t.Helper()
	for _, r := range builtin.Resources() {
		if r.Group == "" && r.Plural == "services" {
			return r
		}
	}
	t.Fatal("no services resource")
	return nil
}

// replica is one kapi replica's services store: its own allocator on the shared etcd.
func replica(t *testing.T, c *clientv3.Client) *generic.Store {
	t.Helper()
	res := servicesResource(t)
	const prefix = "/registry"
	a := builtin.NewServiceAddresses(
		etcd3.New(c, prefix, generic.Codec(builtin.IPAddressRecords)),
		etcd3.New(c, prefix, generic.Codec(builtin.NodePortRecords)), nil)
	return generic.NewStore(res, a.Storage(etcd3.New(c, prefix, generic.Codec(res))), generic.Deps{})
}

func service(name, clusterIP string, typ corev1.ServiceType, nodePort int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Type: typ, ClusterIP: clusterIP,
			Ports: []corev1.ServicePort{{Port: 80, NodePort: nodePort}}},
	}
}

func create(s *generic.Store, svc *corev1.Service) (*corev1.Service, error) {
	out, err := s.Create(context.Background(), "ns", svc, registry.Admission{}, nil)
	if err != nil {
		return nil, err
	}
	return out.(*corev1.Service), nil
}

// wantInvalid asserts a 422 with kube's message. The field error renders a slice value as JSON
// (["10.96.0.10"]), as the k8s.io/apimachinery kube-apiserver of this version is built with does.
func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("got %v, want 422 Invalid", err)
	}
	if err.Error() != msg {
		t.Errorf("message\n got %s\nwant %s", err.Error(), msg)
	}
}

func TestServiceAddressesConcurrentCreatesAcrossReplicas(t *testing.T) {
	c := startEtcd(t)
	replicas := []*generic.Store{replica(t, c), replica(t, c)}
	const n = 40
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ips  = map[string]string{}
		port = map[int32]string{}
		errs []error
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			svc, err := create(replicas[i%2], service(fmt.Sprintf("s%d", i), "", corev1.ServiceTypeNodePort, 0))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if other, ok := ips[svc.Spec.ClusterIP]; ok {
				errs = append(errs, fmt.Errorf("%s and %s both got %s", other, svc.Name, svc.Spec.ClusterIP))
			}
			ips[svc.Spec.ClusterIP] = svc.Name
			np := svc.Spec.Ports[0].NodePort
			if other, ok := port[np]; ok {
				errs = append(errs, fmt.Errorf("%s and %s both got node port %d", other, svc.Name, np))
			}
			port[np] = svc.Name
			ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
			if err != nil || !netip.MustParsePrefix("10.96.0.0/12").Contains(ip) || svc.Spec.ClusterIP == "10.96.0.0" || svc.Spec.ClusterIP == "10.96.0.1" {
				errs = append(errs, fmt.Errorf("%s got cluster IP %q", svc.Name, svc.Spec.ClusterIP))
			}
			if np < 30000 || np > 32767 {
				errs = append(errs, fmt.Errorf("%s got node port %d", svc.Name, np))
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(ips) != n || len(port) != n {
		t.Errorf("%d distinct IPs and %d distinct node ports for %d services", len(ips), len(port), n)
	}
}

func TestServiceAddressesChosenTakenReleased(t *testing.T) {
	ctx := context.Background()
	c := startEtcd(t)
	a, b := replica(t, c), replica(t, c)

	if _, err := create(a, service("first", "10.96.0.10", corev1.ServiceTypeNodePort, 30080)); err != nil {
		t.Fatalf("create: %v", err)
	}
	// Through the other replica: the IP and the port are taken.
	_, err := create(b, service("second", "10.96.0.10", corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "second" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated`)
	_, err = create(b, service("third", "10.96.0.11", corev1.ServiceTypeNodePort, 30080))
	wantInvalid(t, err, `Service "third" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`)
	_, err = create(b, service("outside", "10.200.0.1", corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "outside" is invalid: spec.clusterIPs: Invalid value: ["10.200.0.1"]: failed to allocate IP 10.200.0.1: the provided IP (10.200.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12`)
	_, err = create(b, service("highport", "", corev1.ServiceTypeNodePort, 40000))
	wantInvalid(t, err, `Service "highport" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767`)
	// Beyond any port number too: kube's validation leaves node ports to the allocator.
	_, err = create(b, service("hugeport", "", corev1.ServiceTypeNodePort, 70000))
	wantInvalid(t, err, `Service "hugeport" is invalid: spec.ports[0].nodePort: Invalid value: 70000: provided port is not in the valid range. The range of valid ports is 30000-32767`)

	// The failed create of "third" gave 10.96.0.11 back.
	if _, err := create(b, service("fourth", "10.96.0.11", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("10.96.0.11 was not released by a failed create: %v", err)
	}
	// A create that fails in storage (the name is taken) gives back what it allocated too.
	if _, err := create(b, service("fourth", "10.96.0.12", corev1.ServiceTypeClusterIP, 0)); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("got %v, want AlreadyExists", err)
	}
	if _, err := create(a, service("fifth", "10.96.0.12", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("10.96.0.12 was not released after AlreadyExists: %v", err)
	}

	// An update to ClusterIP gives the node port back; a delete gives the IP back.
	_, _, err = a.Update(ctx, "ns", "first", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		svc := cur.DeepCopyObject().(*corev1.Service)
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		return svc, nil
	}, registry.Admission{}, false, nil)
	if err != nil {
		t.Fatalf("update to ClusterIP: %v", err)
	}
	if _, err := create(b, service("port-reuse", "", corev1.ServiceTypeNodePort, 30080)); err != nil {
		t.Fatalf("node port 30080 was not released by the update: %v", err)
	}
	if _, _, err := a.Delete(ctx, "ns", "first", registry.Admission{}, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := create(b, service("ip-reuse", "10.96.0.10", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("10.96.0.10 was not released by the delete: %v", err)
	}
}

func TestServiceAddressesRepairRecordsExistingServices(t *testing.T) {
	c := startEtcd(t)
	res := servicesResource(t)
	// A service stored without records, as by a kapi that kept none.
	plain := generic.NewStore(res, etcd3.New(c, "/registry", generic.Codec(res)), generic.Deps{})
	if _, err := create(plain, service("old", "10.96.0.30", corev1.ServiceTypeNodePort, 30030)); err != nil {
		t.Fatalf("create: %v", err)
	}
	s := replica(t, c)
	_, err := create(s, service("new", "10.96.0.30", corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "new" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.30"]: failed to allocate IP 10.96.0.30: provided IP is already allocated`)
	_, err = create(s, service("new", "", corev1.ServiceTypeNodePort, 30030))
	wantInvalid(t, err, `Service "new" is invalid: spec.ports[0].nodePort: Invalid value: 30030: provided port is already allocated`)
}

// TestServiceAddressesRecreateIsAlreadyExists pins what bootstrap relies on at every start:
// creating a service that exists, with the addresses it holds, is AlreadyExists, and the
// existing service keeps its addresses.
func TestServiceAddressesRecreateIsAlreadyExists(t *testing.T) {
	c := startEtcd(t)
	a, b := replica(t, c), replica(t, c)
	if _, err := create(a, service("kubernetes", "10.96.0.1", corev1.ServiceTypeClusterIP, 0)); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := create(b, service("kubernetes", "10.96.0.1", corev1.ServiceTypeClusterIP, 0)); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("re-create through another replica: %v, want AlreadyExists", err)
	}
	_, err := create(b, service("other", "10.96.0.1", corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "other" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.1"]: failed to allocate IP 10.96.0.1: provided IP is already allocated`)
}

// recordKeys lists the allocation records in etcd.
func recordKeys(t *testing.T, c *clientv3.Client) []string {
	t.Helper()
	var keys []string
	for _, p := range []string{"/registry/networking.k8s.io/ipaddresses/", "/registry/servicenodeports/"} {
		resp, err := c.Get(context.Background(), p, clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
	}
	return keys
}

var dryRunAll = []string{metav1.DryRunAll}

// TestServiceAddressesDryRun: as kube-apiserver 1.27+, a dry-run create or update shows the
// cluster IP and node ports the service would get, free at that moment, and keeps nothing; a
// chosen address that is taken is the same 422 as a real create.
func TestServiceAddressesDryRun(t *testing.T) {
	ctx := context.Background()
	c := startEtcd(t)
	res := servicesResource(t)
	// One allocatable address: 10.0.0.0 is the network's, .1 the kubernetes service's, .3 the
	// broadcast address.
	_, cidr, _ := net.ParseCIDR("10.0.0.0/30")
	a := builtin.NewServiceAddresses(
		etcd3.New(c, "/registry", generic.Codec(builtin.IPAddressRecords)),
		etcd3.New(c, "/registry", generic.Codec(builtin.NodePortRecords)), cidr)
	s := generic.NewStore(res, a.Storage(etcd3.New(c, "/registry", generic.Codec(res))), generic.Deps{})
	dryCreate := func(svc *corev1.Service) (*corev1.Service, error) {
		out, err := s.Create(ctx, "ns", svc, registry.Admission{}, &metav1.CreateOptions{DryRun: dryRunAll})
		if err != nil {
			return nil, err
		}
		return out.(*corev1.Service), nil
	}

	for i := 0; i < 2; i++ { // the second dry run finds the same address free: nothing was kept
		svc, err := dryCreate(service("web", "", corev1.ServiceTypeNodePort, 0))
		if err != nil {
			t.Fatalf("dry-run create: %v", err)
		}
		if svc.Spec.ClusterIP != "10.0.0.2" || len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != "10.0.0.2" {
			t.Errorf("dry run %d: clusterIP %q, clusterIPs %v, want 10.0.0.2", i, svc.Spec.ClusterIP, svc.Spec.ClusterIPs)
		}
		if np := svc.Spec.Ports[0].NodePort; np < 30000 || np > 32767 {
			t.Errorf("dry run %d: nodePort %d, want one in 30000-32767", i, np)
		}
		if keys := recordKeys(t, c); len(keys) != 0 {
			t.Fatalf("dry run %d kept records %v", i, keys)
		}
	}
	if _, err := s.Get(ctx, "ns", "web", nil); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run stored the service: %v", err)
	}

	first, err := create(s, service("first", "", corev1.ServiceTypeNodePort, 0))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if first.Spec.ClusterIP != "10.0.0.2" {
		t.Fatalf("create got %q, want the address the dry runs showed free", first.Spec.ClusterIP)
	}
	taken := first.Spec.Ports[0].NodePort
	before := recordKeys(t, c)

	// Chosen addresses that are taken: kube's 422s, as a real create.
	_, err = dryCreate(service("second", "10.0.0.2", corev1.ServiceTypeClusterIP, 0))
	wantInvalid(t, err, `Service "second" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.2"]: failed to allocate IP 10.0.0.2: provided IP is already allocated`)
	_, err = dryCreate(service("second", "10.0.0.1", corev1.ServiceTypeNodePort, taken))
	wantInvalid(t, err, fmt.Sprintf(`Service "second" is invalid: spec.ports[0].nodePort: Invalid value: %d: provided port is already allocated`, taken))
	// No address left: the range is full, as kube answers.
	if _, err := dryCreate(service("second", "", corev1.ServiceTypeClusterIP, 0)); !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "range is full") {
		t.Fatalf("dry run with the range full: %v, want an internal error: range is full", err)
	}

	// A dry-run update to NodePort shows the node port it would get, and keeps it neither.
	plain, err := create(s, service("plain", "10.0.0.1", corev1.ServiceTypeClusterIP, 0))
	if err != nil {
		t.Fatalf("create plain: %v", err)
	}
	before = recordKeys(t, c)
	out, _, err := s.Update(ctx, "ns", "plain", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		svc := cur.DeepCopyObject().(*corev1.Service)
		svc.Spec.Type = corev1.ServiceTypeNodePort
		return svc, nil
	}, registry.Admission{}, false, &metav1.UpdateOptions{DryRun: dryRunAll})
	if err != nil {
		t.Fatalf("dry-run update: %v", err)
	}
	if np := out.(*corev1.Service).Spec.Ports[0].NodePort; np < 30000 || np > 32767 || np == taken {
		t.Errorf("dry-run update: nodePort %d, want a free one in 30000-32767", np)
	}
	if after := recordKeys(t, c); !slices.Equal(after, before) {
		t.Errorf("dry runs changed the records: %v, then %v", before, after)
	}
	if cur, _ := s.Get(ctx, "ns", "plain", nil); cur.(*corev1.Service).Spec.Ports[0].NodePort != 0 || cur.(*corev1.Service).ResourceVersion != plain.ResourceVersion {
		t.Errorf("dry-run update stored a change: %+v", cur.(*corev1.Service).Spec)
	}
}
