package generic

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
)

// WriteBeginner is storage whose writes take something besides the object, something that must
// be taken before the object is validated and admitted: the services' storage allocates cluster
// IPs and node ports. kube-apiserver's store calls BeginCreate and BeginUpdate hooks for this,
// and the service REST allocates in them, so that validation and validating admission (plugins
// and webhooks) see the addresses the service is stored with; a WriteBeginner is that hook.
//
// The store calls it once the strategy has prepared the object (kapi's defaults are applied
// there, and allocation depends on them: the type, allocateLoadBalancerNodePorts) and before
// the strategy's validation, the namespace lifecycle check and validating admission. It then
// calls the FinishFunc it got exactly once: with true when the object was stored, with false
// when anything after the begin failed (validation, admission, a conflict, the storage) or the
// write was a dry run, as kube's store commits or reverts the service's allocation transaction.
// A process that dies between the two leaves what it took behind; the storage must recover
// that itself (the services' AddressRepair does).
//
// In a dry run the object is filled as a real write would fill it and nothing is kept.
//
// It is asked of the storage rather than the strategy because what it takes is state kept in
// storage, and strategies are stateless; the services' storage wrapper is the one
// implementation (registry/builtin's ServiceAddresses.Storage).
type WriteBeginner interface {
	// BeginCreate prepares the create of obj at key. An error stops the create: an object
	// already at key is a storage.ErrCodeKeyExists error.
	BeginCreate(ctx context.Context, key string, obj runtime.Object, dryRun bool) (FinishFunc, error)
	// BeginUpdate prepares the update of current, stored at key, to updated. It is called on
	// every try of an update that is retried on a newer object, the previous try finished
	// with false first. An update that creates the object calls BeginCreate instead, and an
	// update of a subresource (status) calls neither: it keeps the spec.
	BeginUpdate(ctx context.Context, key string, current, updated runtime.Object, dryRun bool) (FinishFunc, error)
}

// FinishFunc ends what a WriteBeginner began; stored says whether the write was stored. It is
// an alias so that storage implementing WriteBeginner need not import this package.
type FinishFunc = func(ctx context.Context, stored bool)

// finishNothing is the FinishFunc of storage that begins nothing.
func finishNothing(context.Context, bool) {}

// beginCreate calls the storage's BeginCreate, if it has one. A name that makes no key begins
// nothing: the create fails later, after validation, as it does for every resource.
func (s *Store) beginCreate(ctx context.Context, obj runtime.Object, dryRun bool) (FinishFunc, error) {
	b, ok := s.storage.(WriteBeginner)
	if !ok {
		return finishNothing, nil
	}
	a, err := accessor(obj)
	if err != nil {
		return nil, err
	}
	key, err := s.objectKey(a.GetNamespace(), a.GetName())
	if err != nil {
		return finishNothing, nil
	}
	finish, err := b.BeginCreate(ctx, key, obj, dryRun)
	if err != nil {
		err = s.statusError(err, a.GetName(), "")
		if apierrors.IsAlreadyExists(err) {
			s.noteBeingDeleted(ctx, key, err)
		}
		return nil, err
	}
	return finish, nil
}

// beginUpdate calls the storage's BeginUpdate, if it has one.
func (s *Store) beginUpdate(ctx context.Context, key string, current, updated runtime.Object, dryRun bool) (FinishFunc, error) {
	b, ok := s.storage.(WriteBeginner)
	if !ok {
		return finishNothing, nil
	}
	return b.BeginUpdate(ctx, key, current, updated, dryRun)
}
