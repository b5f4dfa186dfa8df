package builtin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// DefaultRepairInterval is how often kube-apiserver runs its service IP and node port repair
// passes.
const DefaultRepairInterval = 3 * time.Minute

// leakPassesBeforeRelease is how many consecutive passes must find a record held by no service
// before it is released: kube's numRepairsBeforeLeakCleanup.
const leakPassesBeforeRelease = 3

// AddressRepair reconciles the address records with the stored services, as kube-apiserver's
// repair controllers for service cluster IPs and node ports do. Each pass (RunOnce)
//
//   - gives a record to every address a service holds that has none (a service stored by a
//     kapi that kept no records, a record deleted by hand), and logs an address two services
//     claim;
//   - releases a record that no service holds (its service is gone, or no longer has the
//     address) once several consecutive passes have found it so.
//
// # Why several passes
//
// A create takes its records before it stores its service (before validation and validating
// admission even, which may call webhooks), an update takes the records of the addresses it
// adds before it stores itself, and a delete releases after the service is gone: a pass that
// falls in between sees a record no service holds yet, or any more. A write that fails gives
// its records back itself; one whose process dies before it could leaves them to this repair. kube's port
// repair releases a leak only after numRepairsBeforeLeakCleanup (3) consecutive passes found it;
// kapi does the same for both kinds of record. With DefaultRepairInterval between passes, a
// record is released no sooner than six minutes after it was first seen leaked, far beyond a
// write's 60-second request timeout. A record that changed between passes starts its count
// again, and the release is conditional on the revision last seen, so a record taken again in
// the meantime is never deleted.
type AddressRepair struct {
	a        *ServiceAddresses
	services storage.Interface
	logger   *slog.Logger

	mu sync.Mutex
	// suspects are the records the last passes found held by no service, by key.
	suspects map[string]suspect
}

// suspect is a record seen held by no service on passes consecutive passes, at revision rv.
type suspect struct {
	rv     string
	passes int
}

// Repair returns the repair of a's records against the services stored in services (the
// services' storage without allocation). logger receives what each pass finds; nil means
// slog.Default().
func (a *ServiceAddresses) Repair(services storage.Interface, logger *slog.Logger) *AddressRepair {
	if logger == nil {
		logger = slog.Default()
	}
	return &AddressRepair{a: a, services: services, logger: logger, suspects: map[string]suspect{}}
}

// RunOnce makes one repair pass.
func (r *AddressRepair) RunOnce(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Records are listed before services: a service in the later list took its records before
	// it was stored, so a record missing from the earlier list was either taken since (and
	// taking it again is a no-op) or is truly missing.
	records := map[string]runtime.Object{}
	for _, src := range []struct {
		s      storage.Interface
		prefix string
	}{{r.a.ips, ipRecordPrefix}, {r.a.ports, portRecordPrefix}} {
		list, err := src.s.GetList(ctx, src.prefix, storage.ListOptions{Recursive: true})
		if err != nil {
			return fmt.Errorf("service address repair: listing %s: %w", src.prefix, err)
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			return fmt.Errorf("service address repair: %w", err)
		}
		for _, obj := range items {
			if m, err := apimeta.Accessor(obj); err == nil {
				records[src.prefix+m.GetName()] = obj
			}
		}
	}
	services, err := r.listServices(ctx)
	if err != nil {
		return err
	}

	// holders are the services that hold each address, by record key.
	holders := map[string][]*corev1.Service{}
	for _, svc := range services {
		for _, rec := range recordsOf(svc) {
			holders[rec.key] = append(holders[rec.key], svc)
			if obj, ok := records[rec.key]; ok {
				if ns, name := ownerOf(obj); ns != svc.Namespace || name != svc.Name {
					r.logger.Warn("service address repair: an address is held by two services; recreate one of them",
						"address", rec.key, "service", svc.Namespace+"/"+svc.Name, "record", ns+"/"+name)
				}
				continue
			}
			taken, err := r.a.takeFor(ctx, svc, rec)
			if err != nil {
				return err
			}
			if taken {
				r.logger.Warn("service address repair: an address had no record; recorded it",
					"address", rec.key, "service", svc.Namespace+"/"+svc.Name)
			}
		}
	}

	seen := map[string]bool{}
	var errs []error
	for key, obj := range records {
		ns, name := ownerOf(obj)
		if heldBy(holders[key], ns, name) {
			continue
		}
		seen[key] = true
		rv := resourceVersionOf(obj)
		s := r.suspects[key]
		if s.rv != rv {
			s = suspect{rv: rv}
		}
		s.passes++
		r.suspects[key] = s
		if s.passes < leakPassesBeforeRelease {
			r.logger.Info("service address repair: a record is held by no service; released if it stays so",
				"address", key, "record", ns+"/"+name, "passes", s.passes)
			continue
		}
		if err := r.releaseLeak(ctx, key, rv); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(r.suspects, key)
		r.logger.Warn("service address repair: released a record no service holds", "address", key, "record", ns+"/"+name)
		// An address a service holds under another's record goes back to it at once.
		if len(holders[key]) > 0 {
			if _, err := r.a.takeFor(ctx, holders[key][0], record{key: key}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for key := range r.suspects {
		if !seen[key] {
			delete(r.suspects, key)
		}
	}
	return errors.Join(errs...)
}

func (r *AddressRepair) listServices(ctx context.Context) ([]*corev1.Service, error) {
	list, err := r.services.GetList(ctx, servicesPrefix, storage.ListOptions{Recursive: true})
	if err != nil {
		return nil, fmt.Errorf("service address repair: listing services: %w", err)
	}
	l, ok := list.(*corev1.ServiceList)
	if !ok {
		return nil, fmt.Errorf("service address repair: services listed as %T", list)
	}
	out := make([]*corev1.Service, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}

// releaseLeak deletes a record if it is still at revision rv.
func (r *AddressRepair) releaseLeak(ctx context.Context, key, rv string) error {
	s := r.a.ips
	if strings.HasPrefix(key, portRecordPrefix) {
		s = r.a.ports
	}
	_, err := s.Delete(ctx, key, &storage.Preconditions{ResourceVersion: &rv}, nil)
	if err != nil && !storage.IsCode(err, storage.ErrCodeKeyNotFound) && !storage.IsCode(err, storage.ErrCodeConflict) {
		return fmt.Errorf("service address repair: releasing %s: %w", key, err)
	}
	return nil
}

func heldBy(services []*corev1.Service, namespace, name string) bool {
	for _, svc := range services {
		if svc.Namespace == namespace && svc.Name == name {
			return true
		}
	}
	return false
}

func resourceVersionOf(obj runtime.Object) string {
	m, err := apimeta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetResourceVersion()
}

// takeFor creates the record of an address for svc if absent (only rec's key is read).
func (a *ServiceAddresses) takeFor(ctx context.Context, svc *corev1.Service, rec record) (bool, error) {
	if rest, ok := strings.CutPrefix(rec.key, portRecordPrefix); ok {
		port, _ := strconv.Atoi(rest)
		return a.take(ctx, a.ports, portRecord(svc, int32(port)), portRecordObject(svc, int32(port)))
	}
	ip, err := netip.ParseAddr(strings.TrimPrefix(rec.key, ipRecordPrefix))
	if err != nil {
		return false, nil
	}
	return a.take(ctx, a.ips, ipRecord(svc, ip), ipRecordObject(svc, ip))
}

// repairOnce gives every stored service's addresses their records, once per process, before the
// first allocation: services stored before kapi kept records, or by a replica that stopped
// between taking a record and storing its service, must not have their addresses handed out
// again while the first AddressRepair pass is still to come.
func (a *ServiceAddresses) repairOnce(ctx context.Context, services storage.Interface) error {
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
			for _, rec := range recordsOf(svc) {
				if _, err := a.takeFor(ctx, svc, rec); err != nil {
					return err
				}
			}
		}
	}
	a.repaired = true
	return nil
}
