package generic

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Delete deletes an object as kube's store does. Preconditions are checked first. An object
// with finalizers — its own, or the orphan/foregroundDeletion finalizer its propagation policy
// adds — is only marked (deletionTimestamp, deletionGracePeriodSeconds 0) and stays until the
// finalizers are gone; deleted is then false and obj is the marked object. Otherwise the
// object is removed now: there is no kubelet, so graceful deletion of pods is immediate, as
// kube's is for a pod that was never scheduled.
func (s *Store) Delete(ctx context.Context, namespace, name string, admission registry.Admission, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	if s.isNamespaces {
		return s.deleteNamespace(ctx, name, admission, opts)
	}
	return s.delete(ctx, namespace, name, admission, opts)
}

func (s *Store) delete(ctx context.Context, namespace, name string, admission registry.Admission, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	key, err := s.objectKey(namespace, name)
	if err != nil {
		return nil, false, err
	}
	current, err := s.storage.Get(ctx, key, storage.GetOptions{})
	if err != nil {
		return nil, false, s.statusError(err, name, "")
	}
	if err := s.checkDeletePreconditions(current, opts); err != nil {
		return nil, false, err
	}
	if err := validatePropagation(opts); err != nil {
		return nil, false, err
	}
	if admission.Validate != nil {
		if err := admission.Validate(ctx, nil, current); err != nil {
			return nil, false, err
		}
	}
	preconditions := storagePreconditions(opts)
	cur, err := accessor(current)
	if err != nil {
		return nil, false, err
	}
	if finalizers, changed := s.finalizersForDelete(cur, opts); len(finalizers) > 0 || changed {
		marked, err := s.markDeleting(ctx, key, name, preconditions, opts)
		if err != nil {
			return nil, false, err
		}
		m := mustAccessor(marked)
		if len(m.GetFinalizers()) > 0 {
			return s.typed(marked), false, nil
		}
		// Removing the GC finalizers left none: the object goes now, as it was just written.
		current = marked
		if preconditions != nil && preconditions.ResourceVersion != nil {
			rv := m.GetResourceVersion()
			preconditions.ResourceVersion = &rv
		}
	}
	if isDryRun(opts.DryRun) {
		return s.deleteResult(current), true, nil
	}
	out, err := s.storage.Delete(ctx, key, preconditions, nil)
	if err != nil {
		return nil, false, s.statusError(err, name, "")
	}
	return s.deleteResult(out), true, nil
}

// deleteResult is what a finished delete answers: the object for resources whose kube store
// returns it, a Status{Success} naming it for the rest.
func (s *Store) deleteResult(obj runtime.Object) runtime.Object {
	if s.returnDeletedObject {
		return s.typed(obj)
	}
	a := mustAccessor(obj)
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details: &metav1.StatusDetails{
			Name:  a.GetName(),
			Group: s.res.Group,
			// kube puts the resource in Kind here.
			Kind: s.res.Plural,
			UID:  a.GetUID(),
		},
	}
}

// markDeleting sets deletionTimestamp (once), deletionGracePeriodSeconds 0 and the finalizers
// the delete's propagation asks for, computed on the object as stored when written (a finalizer
// added meanwhile is kept), unless this is a dry run.
func (s *Store) markDeleting(ctx context.Context, key, name string, preconditions *storage.Preconditions, opts *metav1.DeleteOptions) (runtime.Object, error) {
	mark := func(current runtime.Object) (runtime.Object, error) {
		a, err := accessor(current)
		if err != nil {
			return nil, err
		}
		finalizers, _ := s.finalizersForDelete(a, opts)
		if a.GetDeletionTimestamp() == nil {
			now := metav1.NewTime(s.deps.Now().Truncate(time.Second))
			a.SetDeletionTimestamp(&now)
			// A deletion changes what the object's controllers should do, so kube bumps the
			// generation of objects that track one.
			if g := a.GetGeneration(); g > 0 {
				a.SetGeneration(g + 1)
			}
		}
		zero := int64(0)
		a.SetDeletionGracePeriodSeconds(&zero)
		a.SetFinalizers(finalizers)
		return current, nil
	}
	if isDryRun(opts.DryRun) {
		current, err := s.storage.Get(ctx, key, storage.GetOptions{})
		if err != nil {
			return nil, s.statusError(err, name, "")
		}
		return mark(current)
	}
	out, err := s.storage.GuaranteedUpdate(ctx, key, preconditions, false, mark)
	if err != nil {
		return nil, s.statusError(err, name, "")
	}
	return out, nil
}

// checkDeletePreconditions answers a failed uid or resourceVersion precondition with kube's
// conflict messages.
func (s *Store) checkDeletePreconditions(current runtime.Object, opts *metav1.DeleteOptions) error {
	if opts.Preconditions == nil {
		return nil
	}
	a, err := accessor(current)
	if err != nil {
		return err
	}
	if p := opts.Preconditions.UID; p != nil && *p != a.GetUID() {
		return apierrors.NewConflict(s.groupResource(), a.GetName(), fmt.Errorf(
			"the UID in the precondition (%s) does not match the UID in record (%s). The object might have been deleted and then recreated", *p, a.GetUID()))
	}
	if p := opts.Preconditions.ResourceVersion; p != nil && *p != a.GetResourceVersion() {
		return apierrors.NewConflict(s.groupResource(), a.GetName(), fmt.Errorf(
			"the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%s). The object might have been modified", *p, a.GetResourceVersion()))
	}
	return nil
}

// storagePreconditions carries a delete's preconditions to storage, so that a change between
// the check and the write is still caught.
func storagePreconditions(opts *metav1.DeleteOptions) *storage.Preconditions {
	if opts.Preconditions == nil {
		return nil
	}
	p := &storage.Preconditions{}
	if opts.Preconditions.UID != nil {
		uid := string(*opts.Preconditions.UID)
		p.UID = &uid
	}
	if opts.Preconditions.ResourceVersion != nil {
		rv := *opts.Preconditions.ResourceVersion
		p.ResourceVersion = &rv
	}
	return p
}

func mustAccessor(obj runtime.Object) metav1.Object {
	a, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("object of type %T has no metadata: %v", obj, err))
	}
	return a
}

// DeleteCollection deletes every object listOpts select, one by one with opts (so finalizers and
// propagation apply to each), and returns the list it deleted.
func (s *Store) DeleteCollection(ctx context.Context, namespace string, admission registry.Admission, opts *metav1.DeleteOptions, listOpts *metav1.ListOptions) (runtime.Object, error) {
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	list, err := s.List(ctx, namespace, listOpts)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	for _, item := range items {
		a, err := accessor(item)
		if err != nil {
			return nil, err
		}
		if _, _, err := s.Delete(ctx, a.GetNamespace(), a.GetName(), admission, opts.DeepCopy()); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return list, nil
}
