package builtin

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/storage"
)

// allocation is one write's claim on addresses: the records it created, or, in a dry run, none.
//
// # Why a dry run looks instead of taking
//
// kube-apiserver (1.27 and later) answers a dry-run create or update of a service with the
// cluster IP and node ports it would get, through dry-run allocators that find a free address
// without marking it. A dry run here does the same with reads: an address is free when no
// record names it, and the record is not written. The answer shows addresses free at that
// moment; nothing is reserved, so a real create right after may get others.
type allocation struct {
	a      *ServiceAddresses
	dryRun bool
	// fresh is what this allocation created, which a failure gives back.
	fresh []record
}

// allocate claims the addresses svc asks for that old (nil on create) does not hold, and fills
// the cluster IP and node ports svc needs and leaves empty. It returns the records it created
// (none in a dry run); on failure it has released them.
func (a *ServiceAddresses) allocate(ctx context.Context, svc, old *corev1.Service, services storage.Interface, dryRun bool) (fresh []record, err error) {
	if err := a.repairOnce(ctx, services); err != nil {
		return nil, err
	}
	al := &allocation{a: a, dryRun: dryRun}
	if err := al.claimChosen(ctx, svc, old); err != nil {
		a.release(ctx, al.fresh)
		return nil, err
	}
	if err := al.fillEmpty(ctx, svc); err != nil {
		a.release(ctx, al.fresh)
		return nil, err
	}
	return al.fresh, nil
}

// claimChosen claims the addresses the client chose: a 422 names every one taken or out of range.
func (al *allocation) claimChosen(ctx context.Context, svc, old *corev1.Service) error {
	held := map[string]bool{}
	if old != nil {
		for _, r := range recordsOf(old) {
			held[r.key] = true
		}
	}
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
			if !al.a.inRange(ip) {
				errs = append(errs, field.Invalid(spec.Child("clusterIPs"), clusterIPsOf(svc), fmt.Sprintf(
					"failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s, s, al.a.cidr)))
				continue
			}
			taken, err := al.take(ctx, al.a.ips, ipRecord(svc, ip), ipRecordObject(svc, ip))
			if err != nil {
				return err
			}
			if !taken {
				errs = append(errs, field.Invalid(spec.Child("clusterIPs"), clusterIPsOf(svc), fmt.Sprintf(
					"failed to allocate IP %s: provided IP is already allocated", s)))
			}
		}
	}
	claimPort := func(path *field.Path, port int32) error {
		inRange, taken, err := al.takePort(ctx, svc, port)
		switch {
		case err != nil:
			return err
		case !inRange:
			errs = append(errs, field.Invalid(path, port, fmt.Sprintf(
				"provided port is not in the valid range. The range of valid ports is %d-%d", nodePortBase, nodePortBase+nodePortRangeSize-1)))
		case !taken:
			errs = append(errs, field.Invalid(path, port, "provided port is already allocated"))
		}
		return nil
	}
	for i, p := range svc.Spec.Ports {
		if p.NodePort == 0 || held[portRecord(svc, p.NodePort).key] || sharesEarlierPort(svc, i) {
			continue
		}
		if err := claimPort(spec.Child("ports").Index(i).Child("nodePort"), p.NodePort); err != nil {
			return err
		}
	}
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 && !held[portRecord(svc, hc).key] && !hasNodePort(svc, hc) {
		if err := claimPort(spec.Child("healthCheckNodePort"), hc); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
	}
	return nil
}

// fillEmpty picks the cluster IP and node ports the service needs and left empty.
func (al *allocation) fillEmpty(ctx context.Context, svc *corev1.Service) error {
	if svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) == 0 {
		ip, err := al.pickIP(ctx, svc)
		if err != nil {
			return err
		}
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
			port, err := al.pickPort(ctx, svc)
			if err != nil {
				return err
			}
			svc.Spec.Ports[i].NodePort = port
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && svc.Spec.HealthCheckNodePort == 0 {
		port, err := al.pickPort(ctx, svc)
		if err != nil {
			return err
		}
		svc.Spec.HealthCheckNodePort = port
	}
	return nil
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

// nodePortInRange reports whether port is in the node port range.
func nodePortInRange(port int32) bool {
	return port >= int32(nodePortBase) && port < int32(nodePortBase+nodePortRangeSize)
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

// pickIP claims a free address at random: from a random offset, the next address whose record
// it can create. The network address, the first address (the kubernetes service's) and the
// IPv4 broadcast address are skipped.
func (al *allocation) pickIP(ctx context.Context, svc *corev1.Service) (netip.Addr, error) {
	size := al.a.size()
	first, last := uint64(2), size-2
	if al.a.cidr.Addr().Is6() {
		last = size - 1
	}
	if last < first {
		return netip.Addr{}, apierrors.NewInternalError(errors.New("failed to allocate a serviceIP: range is full"))
	}
	n := last - first + 1
	start := randomUint64() % n
	for i := uint64(0); i < n; i++ {
		ip := addrAt(al.a.cidr.Addr(), first+(start+i)%n)
		taken, err := al.take(ctx, al.a.ips, ipRecord(svc, ip), ipRecordObject(svc, ip))
		if err != nil {
			return netip.Addr{}, err
		}
		if taken {
			return ip, nil
		}
	}
	return netip.Addr{}, apierrors.NewInternalError(errors.New("failed to allocate a serviceIP: range is full"))
}

// pickPort claims a free node port at random, as pickIP does.
func (al *allocation) pickPort(ctx context.Context, svc *corev1.Service) (int32, error) {
	start := int(randomUint64() % uint64(nodePortRangeSize))
	for i := 0; i < nodePortRangeSize; i++ {
		port := int32(nodePortBase + (start+i)%nodePortRangeSize)
		if hasNodePort(svc, port) || svc.Spec.HealthCheckNodePort == port {
			continue
		}
		_, taken, err := al.takePort(ctx, svc, port)
		if err != nil {
			return 0, err
		}
		if taken {
			return port, nil
		}
	}
	return 0, apierrors.NewInternalError(errors.New("failed to allocate a nodePort: range is full"))
}

// takePort claims a node port; inRange is false (and nothing is claimed) outside the range.
func (al *allocation) takePort(ctx context.Context, svc *corev1.Service, port int32) (inRange, taken bool, err error) {
	if !nodePortInRange(port) {
		return false, false, nil
	}
	taken, err = al.take(ctx, al.a.ports, portRecord(svc, port), portRecordObject(svc, port))
	return true, taken, err
}

// take creates a record if absent, or in a dry run only finds it absent: taken is false when
// another holds it.
func (al *allocation) take(ctx context.Context, s storage.Interface, r record, obj runtime.Object) (bool, error) {
	if al.dryRun {
		_, err := s.Get(ctx, r.key, storage.GetOptions{})
		switch {
		case err == nil:
			return false, nil
		case storage.IsCode(err, storage.ErrCodeKeyNotFound):
			return true, nil
		}
		return false, apierrors.NewInternalError(fmt.Errorf("looking up %s: %w", r.key, err))
	}
	taken, err := al.a.take(ctx, s, r, obj)
	if taken {
		al.fresh = append(al.fresh, r)
	}
	return taken, err
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
