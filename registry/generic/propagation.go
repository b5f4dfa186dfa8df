package generic

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

// gcPolicy is a resource's garbage collection default, as kube's strategies answer
// DefaultGarbageCollectionPolicy.
type gcPolicy int

const (
	// gcDeleteDependents: a delete without a policy is Background (dependents are collected
	// after the owner is gone).
	gcDeleteDependents gcPolicy = iota
	// gcOrphanDependents: a delete without a policy orphans the dependents (kube keeps this for
	// v1 replicationcontrollers and batch/v1 jobs, for compatibility).
	gcOrphanDependents
	// gcUnsupported: deletes never add garbage collection finalizers (events).
	gcUnsupported
)

func defaultGCPolicy(res *registry.Resource) gcPolicy {
	switch res.GroupVersionResource() {
	case schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"},
		schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}:
		return gcOrphanDependents
	case schema.GroupVersionResource{Version: "v1", Resource: "events"},
		schema.GroupVersionResource{Group: "events.k8s.io", Version: "v1", Resource: "events"}:
		return gcUnsupported
	}
	return gcDeleteDependents
}

// validatePropagation is kube's ValidateDeleteOptions for the propagation fields.
func validatePropagation(opts *metav1.DeleteOptions) error {
	var errs field.ErrorList
	if opts.OrphanDependents != nil && opts.PropagationPolicy != nil {
		errs = append(errs, field.Invalid(field.NewPath("propagationPolicy"), opts.PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set"))
	}
	if p := opts.PropagationPolicy; p != nil {
		switch *p {
		case metav1.DeletePropagationForeground, metav1.DeletePropagationBackground, metav1.DeletePropagationOrphan:
		default:
			errs = append(errs, field.NotSupported(field.NewPath("propagationPolicy"), p, []string{
				string(metav1.DeletePropagationForeground), string(metav1.DeletePropagationBackground), string(metav1.DeletePropagationOrphan), "nil"}))
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "DeleteOptions"}, "", errs)
	}
	return nil
}

// finalizersForDelete is kube's deletionFinalizersForGarbageCollection: the object's finalizers
// with orphan and foregroundDeletion set as the delete's policy (or the object's earlier
// choice, or the resource's default) says, and whether that changed them.
func (s *Store) finalizersForDelete(obj metav1.Object, opts *metav1.DeleteOptions) ([]string, bool) {
	current := obj.GetFinalizers()
	if s.gcPolicy == gcUnsupported {
		return current, false
	}
	orphan := s.shouldOrphan(current, opts)
	foreground := !orphan && shouldForeground(current, opts)
	var out []string
	for _, f := range current {
		if f == metav1.FinalizerOrphanDependents || f == metav1.FinalizerDeleteDependents {
			continue
		}
		out = append(out, f)
	}
	if orphan {
		out = append(out, metav1.FinalizerOrphanDependents)
	}
	if foreground {
		out = append(out, metav1.FinalizerDeleteDependents)
	}
	return out, !sameSet(current, out)
}

func (s *Store) shouldOrphan(finalizers []string, opts *metav1.DeleteOptions) bool {
	if opts.OrphanDependents != nil {
		return *opts.OrphanDependents
	}
	if p := opts.PropagationPolicy; p != nil {
		return *p == metav1.DeletePropagationOrphan
	}
	for _, f := range finalizers {
		switch f {
		case metav1.FinalizerOrphanDependents:
			return true
		case metav1.FinalizerDeleteDependents:
			return false
		}
	}
	return s.gcPolicy == gcOrphanDependents
}

func shouldForeground(finalizers []string, opts *metav1.DeleteOptions) bool {
	if opts.OrphanDependents != nil {
		return false
	}
	if p := opts.PropagationPolicy; p != nil {
		return *p == metav1.DeletePropagationForeground
	}
	for _, f := range finalizers {
		switch f {
		case metav1.FinalizerDeleteDependents:
			return true
		case metav1.FinalizerOrphanDependents:
			return false
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	set := make(map[string]int, len(a))
	for _, x := range a {
		set[x] |= 1
	}
	for _, x := range b {
		set[x] |= 2
	}
	for _, v := range set {
		if v != 3 {
			return false
		}
	}
	return true
}
