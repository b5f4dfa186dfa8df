package builtin

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Service addresses. kube-apiserver allocates a service's cluster IPs and node ports in its
// service REST, from records kept in etcd, so that two services never get the same address
// however many apiservers there are. kapi does the same: every allocated cluster IP is an
// IPAddress record (networking.k8s.io/v1, as kube's IP allocator writes them, naming the service
// as its parent) and every allocated node port a record of its own, each created only if absent
// in the etcd every replica shares. ServiceAddresses.Storage wraps the services' storage so that
// every write allocates, before validation and admission as in kube (generic.WriteBeginner),
// and every delete releases, and a dry run shows the addresses a write would get without taking
// them; the services strategy only defaults the rest. AddressRepair reconciles the records with
// the stored services, as kube's repair controllers do, for the writes a crash cut in two.

// Kube's default ranges (--service-cluster-ip-range, --service-node-port-range).
var (
	serviceCIDR       = netip.MustParsePrefix("10.96.0.0/12")
	nodePortBase      = 30000
	nodePortRangeSize = 2768
)

// IPAddressRecords and NodePortRecords describe the storage of the allocation records. They are
// not served; the server gives each its storage at generic.KeyPrefix of the descriptor.
var (
	IPAddressRecords = &registry.Resource{
		Group: networkingv1.GroupName, Version: "v1", Kind: "IPAddress", Plural: "ipaddresses",
		New:     func() runtime.Object { return &networkingv1.IPAddress{} },
		NewList: func() runtime.Object { return &networkingv1.IPAddressList{} },
	}
	NodePortRecords = &registry.Resource{
		Version: "v1", Kind: "PartialObjectMetadata", Plural: "servicenodeports",
		New:     func() runtime.Object { return &metav1.PartialObjectMetadata{} },
		NewList: func() runtime.Object { return &metav1.PartialObjectMetadataList{} },
	}
)

// Keys of the records and of the services, below the storage prefix (generic.KeyPrefix's rule).
const (
	ipRecordPrefix   = "/" + networkingv1.GroupName + "/ipaddresses/"
	portRecordPrefix = "/servicenodeports/"
	servicesPrefix   = "/services/"
)

// ServiceAddresses allocates service cluster IPs and node ports, unique across every kapi
// replica on the same etcd.
type ServiceAddresses struct {
	ips   storage.Interface
	ports storage.Interface
	cidr  netip.Prefix

	// repaired is set once every stored service's addresses have records (services written
	// before kapi kept records, or by a replica that crashed between record and service): the
	// first allocation of a process waits for it (repairOnce).
	repairMu sync.Mutex
	repaired bool
}

// NewServiceAddresses allocates from cidr (kube's 10.96.0.0/12 when nil) and kube's node port
// range 30000-32767, keeping records in ips (IPAddressRecords' storage) and ports
// (NodePortRecords'). The range's first address is never handed out at random: it is the
// kubernetes service's.
func NewServiceAddresses(ips, ports storage.Interface, cidr *net.IPNet) *ServiceAddresses {
	a := &ServiceAddresses{ips: ips, ports: ports, cidr: serviceCIDR}
	if cidr != nil {
		if p, err := netip.ParsePrefix(cidr.String()); err == nil {
			a.cidr = p.Masked()
		}
	}
	return a
}

// Storage wraps the services' storage. It is a generic.WriteBeginner: the generic store has it
// allocate, before validation and validating admission, the addresses a new service asks for
// (422 when one is taken or out of range) and the ones it needs and leaves empty, or the ones an
// update adds; a write that is not stored gives them back, and an update that is stored lets go
// of the ones it dropped. A delete releases everything the service held.
func (a *ServiceAddresses) Storage(services storage.Interface) storage.Interface {
	return &allocatingServices{Interface: services, a: a}
}

// allocatingServices is the services' storage with address allocation.
type allocatingServices struct {
	storage.Interface
	a *ServiceAddresses
}

// BeginCreate allocates the addresses of a service about to be created, kube's beginCreate. In a
// dry run it fills the addresses the create would get, free at that moment, and keeps none:
// kube-apiserver answers a dry-run create with them, and with a 422 for a chosen address that is
// taken. The returned func releases what was allocated unless the service was stored.
func (s *allocatingServices) BeginCreate(ctx context.Context, key string, obj runtime.Object, dryRun bool) (func(context.Context, bool), error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return keepAll, nil
	}
	// A service that exists already holds its addresses: the create must fail as AlreadyExists
	// (bootstrap re-creating the kubernetes service on every start relies on it), not claim
	// that its own addresses are taken.
	if _, err := s.Interface.Get(ctx, key, storage.GetOptions{}); err == nil {
		return nil, storage.NewError(storage.ErrCodeKeyExists, key, "")
	} else if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		return nil, err
	}
	fresh, err := s.a.allocate(ctx, svc, nil, s.Interface, dryRun)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, stored bool) {
		if !stored {
			s.a.release(ctx, fresh)
		}
	}, nil
}

// BeginUpdate allocates the addresses an update from current to updated adds (a type changed to
// NodePort gets node ports, a new port its node port), kube's beginUpdate; in a dry run it fills
// them and keeps none, as BeginCreate. The returned func releases what was allocated unless the
// service was stored, and once it was stored releases what the update dropped: until then the
// service as stored still holds those addresses.
func (s *allocatingServices) BeginUpdate(ctx context.Context, _ string, current, updated runtime.Object, dryRun bool) (func(context.Context, bool), error) {
	svc, ok := updated.(*corev1.Service)
	old, isService := current.(*corev1.Service)
	if !ok || !isService {
		return keepAll, nil
	}
	fresh, err := s.a.allocate(ctx, svc, old, s.Interface, dryRun)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, stored bool) {
		if !stored {
			s.a.release(ctx, fresh)
			return
		}
		s.a.release(ctx, dropped(old, svc))
	}, nil
}

// keepAll finishes a write that allocated nothing.
func keepAll(context.Context, bool) {}

func (s *allocatingServices) Delete(ctx context.Context, key string, preconditions *storage.Preconditions, validate func(current runtime.Object) error) (runtime.Object, error) {
	out, err := s.Interface.Delete(ctx, key, preconditions, validate)
	if err != nil {
		return nil, err
	}
	if svc, ok := out.(*corev1.Service); ok {
		s.a.release(ctx, recordsOf(svc))
	}
	return out, nil
}

// record is one allocation record: its key, and the service that holds it.
type record struct {
	key             string
	namespace, name string
}

func ipRecord(svc *corev1.Service, ip netip.Addr) record {
	return record{key: ipRecordPrefix + ip.String(), namespace: svc.Namespace, name: svc.Name}
}

func portRecord(svc *corev1.Service, port int32) record {
	return record{key: portRecordPrefix + strconv.Itoa(int(port)), namespace: svc.Namespace, name: svc.Name}
}

// recordsOf is every record a stored service holds.
func recordsOf(svc *corev1.Service) []record {
	var out []record
	for _, s := range clusterIPsOf(svc) {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ipRecord(svc, ip))
		}
	}
	for _, p := range nodePortsOf(svc) {
		out = append(out, portRecord(svc, p))
	}
	return out
}

// dropped is the records old holds and svc no longer does.
func dropped(old, svc *corev1.Service) []record {
	keep := map[string]bool{}
	for _, r := range recordsOf(svc) {
		keep[r.key] = true
	}
	var out []record
	for _, r := range recordsOf(old) {
		if !keep[r.key] {
			out = append(out, r)
		}
	}
	return out
}

func clusterIPsOf(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}

// nodePortsOf is the distinct node ports a service holds (ports of different protocols may
// share one), its health check node port among them.
func nodePortsOf(svc *corev1.Service) []int32 {
	seen := map[int32]bool{}
	var out []int32
	add := func(p int32) {
		if p != 0 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range svc.Spec.Ports {
		add(p.NodePort)
	}
	add(svc.Spec.HealthCheckNodePort)
	return out
}

// release deletes records, each only if its service still holds it. It is best effort: a record
// left behind (etcd unreachable) keeps its address from other services until AddressRepair
// finds it held by no service and releases it.
func (a *ServiceAddresses) release(ctx context.Context, records []record) {
	for _, r := range records {
		s := a.ips
		if strings.HasPrefix(r.key, portRecordPrefix) {
			s = a.ports
		}
		_, _ = s.Delete(context.WithoutCancel(ctx), r.key, nil, func(current runtime.Object) error {
			if ns, name := ownerOf(current); ns != r.namespace || name != r.name {
				return errors.New("held by another service")
			}
			return nil
		})
	}
}

// Record objects name the service that holds them.
const (
	ipManagedByLabel = "ipaddress.kubernetes.io/managed-by"
	ipManagedBy      = "ipallocator.k8s.io"
	ownerAnnotation  = "kapi.dev/service"
)

func ipRecordObject(svc *corev1.Service, ip netip.Addr) *networkingv1.IPAddress {
	return &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: ip.String(), Labels: map[string]string{ipManagedByLabel: ipManagedBy}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
			Resource: "services", Namespace: svc.Namespace, Name: svc.Name,
		}},
	}
}

func portRecordObject(svc *corev1.Service, port int32) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name:        strconv.Itoa(int(port)),
		Annotations: map[string]string{ownerAnnotation: svc.Namespace + "/" + svc.Name},
	}}
}

// ownerOf is the namespace and name of the service a record names.
func ownerOf(obj runtime.Object) (namespace, name string) {
	switch r := obj.(type) {
	case *networkingv1.IPAddress:
		if r.Spec.ParentRef != nil {
			return r.Spec.ParentRef.Namespace, r.Spec.ParentRef.Name
		}
	case *metav1.PartialObjectMetadata:
		ns, n, _ := strings.Cut(r.Annotations[ownerAnnotation], "/")
		return ns, n
	}
	return "", ""
}
