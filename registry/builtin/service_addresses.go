package builtin

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Service addresses. kube-apiserver allocates a service's cluster IPs and node ports in its
// service REST, from records kept in etcd, so that two services never get the same address
// however many apiservers there are. kapi does the same: every allocated cluster IP is an
// IPAddress record (networking.k8s.io/v1, as kube's IP allocator writes them, naming the service
// as its parent) and every allocated node port a record of its own, each created only if absent
// in the etcd every replica shares. ServiceAddresses.Storage wraps the services' storage so that
// every write allocates and every delete releases; the services strategy only defaults the rest.

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
	// before kapi kept records, or by a replica that crashed between record and service).
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

// Storage wraps the services' storage: a create allocates the addresses the service asks for
// (422 when one is taken or out of range) and the ones it leaves empty; an update allocates what
// it adds and releases what it drops; a delete releases everything the service held. A write
// that fails releases what it allocated.
func (a *ServiceAddresses) Storage(services storage.Interface) storage.Interface {
	return &allocatingServices{Interface: services, a: a}
}

// allocatingServices is the services' storage with address allocation.
type allocatingServices struct {
	storage.Interface
	a *ServiceAddresses
}

func (s *allocatingServices) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return s.Interface.Create(ctx, key, obj)
	}
	// A service that exists already holds its addresses: the create must fail as AlreadyExists
	// (bootstrap re-creating the kubernetes service on every start relies on it), not claim
	// that its own addresses are taken.
	if _, err := s.Interface.Get(ctx, key, storage.GetOptions{}); err == nil {
		return nil, storage.NewError(storage.ErrCodeKeyExists, key, "")
	} else if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		return nil, err
	}
	fresh, err := s.a.allocate(ctx, svc, nil, s.Interface)
	if err != nil {
		return nil, err
	}
	out, err := s.Interface.Create(ctx, key, obj)
	if err != nil {
		s.a.release(ctx, fresh)
		return nil, err
	}
	return out, nil
}

func (s *allocatingServices) GuaranteedUpdate(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc) (runtime.Object, error) {
	var (
		fresh []record // allocated by the latest try
		old   *corev1.Service
	)
	out, err := s.Interface.GuaranteedUpdate(ctx, key, preconditions, ignoreNotFound, func(current runtime.Object) (runtime.Object, error) {
		// A try that lost a race gives back what it took.
		s.a.release(ctx, fresh)
		fresh, old = nil, nil
		updated, err := tryUpdate(current)
		if err != nil {
			return nil, err
		}
		svc, ok := updated.(*corev1.Service)
		if !ok {
			return updated, nil
		}
		if cur, ok := current.(*corev1.Service); ok && cur.ResourceVersion != "" {
			old = cur
		}
		if fresh, err = s.a.allocate(ctx, svc, old, s.Interface); err != nil {
			return nil, err
		}
		return svc, nil
	})
	if err != nil {
		s.a.release(ctx, fresh)
		return nil, err
	}
	if svc, ok := out.(*corev1.Service); ok && old != nil {
		s.a.release(ctx, dropped(old, svc))
	}
	return out, nil
}

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

// allocate takes records for the addresses svc asks for that old (nil on create) does not hold,
// and fills the cluster IP and node ports svc needs and leaves empty. It returns the records it
// created; on failure it has released them.
func (a *ServiceAddresses) allocate(ctx context.Context, svc, old *corev1.Service, services storage.Interface) (fresh []record, err error) {
	if err := a.repair(ctx, services); err != nil {
		return nil, err
	}
	held := map[string]bool{}
	if old != nil {
		for _, r := range recordsOf(old) {
			held[r.key] = true
		}
	}
	defer func() {
		if err != nil {
			a.release(ctx, fresh)
			fresh = nil
		}
	}()
	var errs field.ErrorList
	spec := field.NewPath("spec")

	if svc.Spec.Type != corev1.ServiceTypeExternalName {
		for _, s := range clusterIPsOf(svc) {
			if s == corev1.ClusterIPNone {
				continue
			}
			ip, perr := netip.ParseAddr(s)
			if perr != nil || held[ipRecord(svc, ip).key] {
				continue // validation answers a malformed address
			}
			if !a.inRange(ip) {
				errs = append(errs, field.Invalid(spec.Child("clusterIPs"), clusterIPsOf(svc), fmt.Sprintf(
					"failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s, s, a.cidr)))
				continue
			}
			taken, cerr := a.take(ctx, a.ips, ipRecord(svc, ip), ipRecordObject(svc, ip))
			if cerr != nil {
				return fresh, cerr
			}
			if !taken {
				errs = append(errs, field.Invalid(spec.Child("clusterIPs"), clusterIPsOf(svc), fmt.Sprintf(
					"failed to allocate IP %s: provided IP is already allocated", s)))
				continue
			}
			fresh = append(fresh, ipRecord(svc, ip))
		}
	}
	for i, p := range svc.Spec.Ports {
		if p.NodePort == 0 || held[portRecord(svc, p.NodePort).key] || sharesEarlierPort(svc, i) {
			continue
		}
		path := spec.Child("ports").Index(i).Child("nodePort")
		r, taken, terr := a.takePort(ctx, svc, p.NodePort)
		if terr != nil {
			return fresh, terr
		}
		switch {
		case r == nil:
			errs = append(errs, field.Invalid(path, p.NodePort, fmt.Sprintf(
				"provided port is not in the valid range. The range of valid ports is %d-%d", nodePortBase, nodePortBase+nodePortRangeSize-1)))
		case !taken:
			errs = append(errs, field.Invalid(path, p.NodePort, "provided port is already allocated"))
		default:
			fresh = append(fresh, *r)
		}
	}
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 && !held[portRecord(svc, hc).key] && !hasNodePort(svc, hc) {
		path := spec.Child("healthCheckNodePort")
		r, taken, terr := a.takePort(ctx, svc, hc)
		if terr != nil {
			return fresh, terr
		}
		switch {
		case r == nil:
			errs = append(errs, field.Invalid(path, hc, fmt.Sprintf(
				"provided port is not in the valid range. The range of valid ports is %d-%d", nodePortBase, nodePortBase+nodePortRangeSize-1)))
		case !taken:
			errs = append(errs, field.Invalid(path, hc, "provided port is already allocated"))
		default:
			fresh = append(fresh, *r)
		}
	}
	if len(errs) > 0 {
		return fresh, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
	}

	// Then what the service needs and left empty.
	if svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) == 0 {
		r, ip, err := a.pickIP(ctx, svc)
		if err != nil {
			return fresh, err
		}
		fresh = append(fresh, r)
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip.String(), []string{ip.String()}
		family := corev1.IPv4Protocol
		if ip.Is6() {
			family = corev1.IPv6Protocol
		}
		if len(svc.Spec.IPFamilies) <= 1 {
			svc.Spec.IPFamilies = []corev1.IPFamily{family}
		}
	}
	if wantsNodePorts(svc) {
		for i := range svc.Spec.Ports {
			if svc.Spec.Ports[i].NodePort != 0 {
				continue
			}
			r, port, err := a.pickPort(ctx, svc)
			if err != nil {
				return fresh, err
			}
			fresh = append(fresh, r)
			svc.Spec.Ports[i].NodePort = port
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && svc.Spec.HealthCheckNodePort == 0 {
		r, port, err := a.pickPort(ctx, svc)
		if err != nil {
			return fresh, err
		}
		fresh = append(fresh, r)
		svc.Spec.HealthCheckNodePort = port
	}
	return fresh, nil
}

// wantsNodePorts reports whether kube allocates node ports for the service's type.
func wantsNodePorts(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort ||
		(svc.Spec.Type == corev1.ServiceTypeLoadBalancer && deref(svc.Spec.AllocateLoadBalancerNodePorts))
}

// sharesEarlierPort reports whether port i's node port was already named by an earlier port
// (one node port may serve several protocols).
func sharesEarlierPort(svc *corev1.Service, i int) bool {
	for j := 0; j < i; j++ {
		if svc.Spec.Ports[j].NodePort == svc.Spec.Ports[i].NodePort {
			return true
		}
	}
	return false
}

func hasNodePort(svc *corev1.Service, port int32) bool {
	for _, p := range svc.Spec.Ports {
		if p.NodePort == port {
			return true
		}
	}
	return false
}

// inRange reports whether ip may be allocated: inside the range, neither its network address
// nor (IPv4) its broadcast address.
func (a *ServiceAddresses) inRange(ip netip.Addr) bool {
	if !a.cidr.Contains(ip) || ip == a.cidr.Addr() {
		return false
	}
	if ip.Is4() {
		size := a.size()
		if addrAt(a.cidr.Addr(), size-1) == ip && a.cidr.Bits() < 31 {
			return false
		}
	}
	return true
}

// size is the number of addresses of the range that allocation considers (at most 2^24, as a
// huge IPv6 range is never filled).
func (a *ServiceAddresses) size() uint64 {
	bits := a.cidr.Addr().BitLen() - a.cidr.Bits()
	if bits > 24 {
		bits = 24
	}
	return 1 << bits
}

// pickIP takes a free address at random: from a random offset, the next address whose record
// it can create. The network address, the first address (the kubernetes service's) and the
// IPv4 broadcast address are skipped.
func (a *ServiceAddresses) pickIP(ctx context.Context, svc *corev1.Service) (record, netip.Addr, error) {
	size := a.size()
	first, last := uint64(2), size-2
	if a.cidr.Addr().Is6() {
		last = size - 1
	}
	if last < first {
		return record{}, netip.Addr{}, apierrors.NewInternalError(errors.New("failed to allocate a serviceIP: range is full"))
	}
	n := last - first + 1
	start := randomUint64() % n
	for i := uint64(0); i < n; i++ {
		ip := addrAt(a.cidr.Addr(), first+(start+i)%n)
		r := ipRecord(svc, ip)
		taken, err := a.take(ctx, a.ips, r, ipRecordObject(svc, ip))
		if err != nil {
			return record{}, netip.Addr{}, err
		}
		if taken {
			return r, ip, nil
		}
	}
	return record{}, netip.Addr{}, apierrors.NewInternalError(errors.New("failed to allocate a serviceIP: range is full"))
}

// pickPort takes a free node port at random, as pickIP does.
func (a *ServiceAddresses) pickPort(ctx context.Context, svc *corev1.Service) (record, int32, error) {
	start := int(randomUint64() % uint64(nodePortRangeSize))
	for i := 0; i < nodePortRangeSize; i++ {
		port := int32(nodePortBase + (start+i)%nodePortRangeSize)
		if hasNodePort(svc, port) || svc.Spec.HealthCheckNodePort == port {
			continue
		}
		r, taken, err := a.takePort(ctx, svc, port)
		if err != nil {
			return record{}, 0, err
		}
		if taken {
			return *r, port, nil
		}
	}
	return record{}, 0, apierrors.NewInternalError(errors.New("failed to allocate a nodePort: range is full"))
}

// takePort creates the record of a node port; r is nil when the port is out of range.
func (a *ServiceAddresses) takePort(ctx context.Context, svc *corev1.Service, port int32) (r *record, taken bool, err error) {
	if port < int32(nodePortBase) || port >= int32(nodePortBase+nodePortRangeSize) {
		return nil, false, nil
	}
	rec := portRecord(svc, port)
	taken, err = a.take(ctx, a.ports, rec, portRecordObject(svc, port))
	return &rec, taken, err
}

// take creates a record if absent: taken is false when another holds it.
func (a *ServiceAddresses) take(ctx context.Context, s storage.Interface, r record, obj runtime.Object) (bool, error) {
	if _, err := s.Create(ctx, r.key, obj); err != nil {
		if storage.IsCode(err, storage.ErrCodeKeyExists) {
			return false, nil
		}
		return false, apierrors.NewInternalError(fmt.Errorf("allocating %s: %w", r.key, err))
	}
	return true, nil
}

// release deletes records, each only if its service still holds it. It is best effort: a record
// left behind (etcd unreachable) keeps its address from other services until it is deleted by hand.
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

// repair gives every stored service's addresses their records, once per process: services
// stored before kapi kept records, or by a replica that stopped between taking a record and
// storing its service, must not have their addresses handed out again.
func (a *ServiceAddresses) repair(ctx context.Context, services storage.Interface) error {
	a.repairMu.Lock()
	defer a.repairMu.Unlock()
	if a.repaired {
		return nil
	}
	list, err := services.GetList(ctx, servicesPrefix, storage.ListOptions{Recursive: true})
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("reading services to repair address records: %w", err))
	}
	if l, ok := list.(*corev1.ServiceList); ok {
		for i := range l.Items {
			svc := &l.Items[i]
			for _, r := range recordsOf(svc) {
				var err error
				if rest, ok := strings.CutPrefix(r.key, portRecordPrefix); ok {
					port, _ := strconv.Atoi(rest)
					_, err = a.take(ctx, a.ports, r, portRecordObject(svc, int32(port)))
				} else {
					ip, _ := netip.ParseAddr(r.key[len(ipRecordPrefix):])
					_, err = a.take(ctx, a.ips, r, ipRecordObject(svc, ip))
				}
				if err != nil {
					return err
				}
			}
		}
	}
	a.repaired = true
	return nil
}

// addrAt is base plus off.
func addrAt(base netip.Addr, off uint64) netip.Addr {
	b := base.As16()
	lo := binary.BigEndian.Uint64(b[8:])
	hi := binary.BigEndian.Uint64(b[:8])
	sum := lo + off
	if sum < lo {
		hi++
	}
	binary.BigEndian.PutUint64(b[8:], sum)
	binary.BigEndian.PutUint64(b[:8], hi)
	out := netip.AddrFrom16(b)
	if base.Is4() {
		return out.Unmap()
	}
	return out
}

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return binary.BigEndian.Uint64(b[:])
}
