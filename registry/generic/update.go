package generic

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// errDeleteDuringUpdate stops a storage update whose result is an object to delete: its
// deletion was requested and its last finalizer was just removed.
var errDeleteDuringUpdate = errors.New("the update empties the finalizers of an object being deleted")

// Update computes the new object from the current one with update and stores it with a
// compare-and-swap. Subresource "status" writes status only, "finalize" (namespaces) the
// finalizers only; "" writes everything but status. When the client pinned a resourceVersion a
// lost race is a 409; otherwise the update is recomputed on the newer object. Each try runs
// kube's BeforeUpdate preparation, the storage's BeginUpdate (the main resource only: a
// subresource keeps the spec), validation and validating admission, in that order, as
// admitCreate does for a create.
func (s *Store) Update(ctx context.Context, namespace, name, subresource string, update registry.UpdateFunc, admission registry.Admission, allowCreate bool, opts *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if opts == nil {
		opts = &metav1.UpdateOptions{}
	}
	switch subresource {
	case "", "status":
	case "finalize":
		if !s.isNamespaces {
			return nil, false, apierrors.NewNotFound(s.groupResource(), name)
		}
	default:
		return nil, false, apierrors.NewNotFound(s.groupResource(), name)
	}
	key, err := s.objectKey(namespace, name)
	if err != nil {
		return nil, false, err
	}
	// Only the main resource may create on update, and only where kube's strategy allows it.
	allowCreate = allowCreate && subresource == "" && s.allowCreateOnUpdate

	dryRun := isDryRun(opts.DryRun)
	var (
		created  bool
		toDelete runtime.Object
		// finish ends what the latest try began; a try that lost a race gives back what it
		// took before the next try begins.
		finish FinishFunc = finishNothing
	)
	tryUpdate := func(current runtime.Object) (_ runtime.Object, err error) {
		finish(ctx, false)
		finish = finishNothing
		created, toDelete = false, nil
		cur, err := accessor(current)
		if err != nil {
			return nil, err
		}
		exists := cur.GetResourceVersion() != ""
		if !exists {
			if !allowCreate {
				return nil, apierrors.NewNotFound(s.groupResource(), name)
			}
			obj, err := update(ctx, nil)
			if err != nil {
				return nil, err
			}
			if err := s.checkURLName(obj, name); err != nil {
				return nil, err
			}
			// A resourceVersion means nothing for an object that does not exist; kube's storage
			// drops it here rather than refusing it as a create would.
			if a, err := accessor(obj); err == nil {
				a.SetResourceVersion("")
			}
			if finish, err = s.admitCreate(ctx, namespace, obj, admission, dryRun); err != nil {
				finish = finishNothing
				return nil, err
			}
			created = true
			return obj, nil
		}
		obj, err := update(ctx, current.DeepCopyObject())
		if err != nil {
			return nil, err
		}
		if err := s.checkURLName(obj, name); err != nil {
			return nil, err
		}
		a, err := accessor(obj)
		if err != nil {
			return nil, err
		}
		if uid := a.GetUID(); uid != "" && uid != cur.GetUID() {
			// kube makes a uid in the body a storage precondition: a PUT meant for an object
			// that was deleted and recreated is a conflict, in kube's storage error words.
			return nil, apierrors.NewConflict(s.groupResource(), name, fmt.Errorf(
				"StorageError: invalid object, Code: 4, Key: %s, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: %v, UID in object meta: %v",
				key, uid, cur.GetUID()))
		}
		switch rv := a.GetResourceVersion(); {
		case rv == "" && !s.allowUnconditionalUpdate:
			// kube names the resource where the kind belongs in this one message.
			gk := schema.GroupKind{Group: s.res.Group, Kind: s.res.Plural}
			return nil, apierrors.NewInvalid(gk, name, field.ErrorList{
				field.Invalid(field.NewPath("metadata", "resourceVersion"), uint64(0), "must be specified for an update")})
		case rv == "":
			// An unconditional update, which kube allows for built-in resources.
			a.SetResourceVersion(cur.GetResourceVersion())
		case rv != cur.GetResourceVersion():
			return nil, apierrors.NewConflict(s.groupResource(), name, errors.New(optimisticLockErrorMsg))
		}
		if err := s.prepareUpdate(ctx, namespace, subresource, obj, current); err != nil {
			return nil, err
		}
		if subresource == "" {
			if finish, err = s.beginUpdate(ctx, key, current, obj, dryRun); err != nil {
				finish = finishNothing
				return nil, err
			}
		}
		if errs := s.strategy.ValidateUpdate(ctx, obj, current); len(errs) > 0 {
			return nil, apierrors.NewInvalid(s.groupKind(), a.GetName(), errs)
		}
		if admission.Validate != nil {
			if err := admission.Validate(ctx, obj, current); err != nil {
				return nil, err
			}
		}
		if s.shouldDeleteDuringUpdate(obj, current) {
			toDelete = obj
			return nil, errDeleteDuringUpdate
		}
		return obj, nil
	}

	if dryRun {
		current, err := s.storage.Get(ctx, key, storage.GetOptions{})
		if err != nil {
			if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
				return nil, false, s.statusError(err, name, "")
			}
			current = s.res.New()
		}
		out, err := tryUpdate(current)
		finish(ctx, false)
		if errors.Is(err, errDeleteDuringUpdate) {
			return s.typed(toDelete), false, nil
		}
		if err != nil {
			return nil, false, s.statusError(err, name, "")
		}
		return s.typed(out), created, nil
	}

	out, err := s.storage.GuaranteedUpdate(ctx, key, nil, true, tryUpdate)
	// What the stored try began is kept only now that it is stored; what it gave up (a service's
	// released addresses) is let go only now.
	finish(ctx, err == nil)
	if errors.Is(err, errDeleteDuringUpdate) {
		a, _ := accessor(toDelete)
		rv := a.GetResourceVersion()
		deleted, err := s.storage.Delete(ctx, key, &storage.Preconditions{ResourceVersion: &rv}, nil)
		if err != nil {
			if storage.IsCode(err, storage.ErrCodeKeyNotFound) {
				// Another update emptied the finalizers first; the object is gone either way.
				return s.typed(toDelete), false, nil
			}
			return nil, false, s.statusError(err, name, "")
		}
		return s.typed(deleted), false, nil
	}
	if err != nil {
		return nil, false, s.statusError(err, name, "")
	}
	return s.typed(out), created, nil
}

// checkURLName refuses an object whose name differs from the one on the URL.
func (s *Store) checkURLName(obj runtime.Object, name string) error {
	a, err := accessor(obj)
	if err != nil {
		return err
	}
	if a.GetName() == "" {
		a.SetName(name)
	}
	if a.GetName() != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", a.GetName(), name))
	}
	return nil
}

// prepareUpdate is kube's rest.BeforeUpdate up to validation: namespace, the fields an update
// cannot change, the strategy's preparation for the subresource, generation.
func (s *Store) prepareUpdate(ctx context.Context, namespace, subresource string, obj, old runtime.Object) error {
	a, err := accessor(obj)
	if err != nil {
		return err
	}
	prev, err := accessor(old)
	if err != nil {
		return err
	}
	if s.res.Namespaced {
		if a.GetNamespace() == "" {
			a.SetNamespace(namespace)
		}
		if a.GetNamespace() != namespace {
			return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	} else {
		a.SetNamespace("")
	}
	// Clients cannot set generation; the strategy's SpecChanged decides it below.
	a.SetGeneration(prev.GetGeneration())
	switch subresource {
	case "status":
		s.strategy.PrepareForStatusUpdate(ctx, obj, old)
	case "finalize":
		prepareNamespaceFinalize(obj, old)
	default:
		s.strategy.PrepareForUpdate(ctx, obj, old)
		if prev.GetGeneration() > 0 && s.strategy.SpecChanged(obj, old) {
			a.SetGeneration(prev.GetGeneration() + 1)
		}
	}
	if a.GetUID() == "" {
		a.SetUID(prev.GetUID())
	}
	if ts := prev.GetCreationTimestamp(); !ts.IsZero() {
		a.SetCreationTimestamp(ts)
	}
	// An update can never remove or change a deletion timestamp or its grace period.
	if prev.GetDeletionTimestamp() != nil {
		a.SetDeletionTimestamp(prev.GetDeletionTimestamp())
	} else {
		a.SetDeletionTimestamp(nil)
	}
	if prev.GetDeletionGracePeriodSeconds() != nil && a.GetDeletionGracePeriodSeconds() == nil {
		a.SetDeletionGracePeriodSeconds(prev.GetDeletionGracePeriodSeconds())
	}
	a.SetSelfLink("")
	return nil
}

// shouldDeleteDuringUpdate is kube's rule: an update that removes the last finalizer of an
// object whose deletion was requested (with no grace period pending) deletes it. A namespace
// also waits for its spec finalizers.
func (s *Store) shouldDeleteDuringUpdate(obj, old runtime.Object) bool {
	a, err1 := accessor(obj)
	prev, err2 := accessor(old)
	if err1 != nil || err2 != nil {
		return false
	}
	if len(a.GetFinalizers()) > 0 || prev.GetDeletionTimestamp() == nil {
		return false
	}
	if g := prev.GetDeletionGracePeriodSeconds(); g != nil && *g != 0 {
		return false
	}
	if s.isNamespaces && hasSpecFinalizers(obj) {
		return false
	}
	return true
}
