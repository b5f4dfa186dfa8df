package generic

import (
	"context"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// NewEntry assembles the registry entry for res on s: the generic store, plus the subresource
// stores res declares (scale, binding, and namespaces' finalize).
func NewEntry(res *registry.Resource, s storage.Interface, deps Deps) *registry.Entry {
	store := NewStore(res, s, deps)
	e := &registry.Entry{Resource: res, Store: store, Subresources: map[string]registry.Store{}}
	if res.HasSubresource("scale") {
		e.Subresources["scale"] = NewScaleStore(store)
	}
	if res.HasSubresource("binding") {
		e.Subresources["binding"] = NewBindingStore(store)
	}
	if res.HasSubresource("finalize") && store.isNamespaces {
		e.Subresources["finalize"] = finalizeStore{store}
	}
	return e
}

// finalizeStore serves namespaces/x/finalize: updates that change spec.finalizers only. Reads
// answer the namespace; other verbs are 405.
type finalizeStore struct {
	*Store
}

// Update writes a namespace's spec finalizers.
func (f finalizeStore) Update(ctx context.Context, namespace, name, _ string, update registry.UpdateFunc, admission registry.Admission, _ bool, opts *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return f.Store.Update(ctx, namespace, name, "finalize", update, admission, false, opts)
}

func (f finalizeStore) notSupported(verb string) error {
	gr := f.groupResource()
	gr.Resource += "/finalize"
	return apierrors.NewMethodNotSupported(gr, verb)
}

// List is not supported on finalize.
func (f finalizeStore) List(context.Context, string, *metav1.ListOptions) (runtime.Object, error) {
	return nil, f.notSupported("list")
}

// Watch is not supported on finalize.
func (f finalizeStore) Watch(context.Context, string, *metav1.ListOptions) (storage.Watcher, error) {
	return nil, f.notSupported("watch")
}

// Create is not supported on finalize.
func (f finalizeStore) Create(context.Context, string, runtime.Object, registry.Admission, *metav1.CreateOptions) (runtime.Object, error) {
	return nil, f.notSupported("create")
}

// Delete is not supported on finalize.
func (f finalizeStore) Delete(context.Context, string, string, registry.Admission, *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return nil, false, f.notSupported("delete")
}

// DeleteCollection is not supported on finalize.
func (f finalizeStore) DeleteCollection(context.Context, string, registry.Admission, *metav1.DeleteOptions, *metav1.ListOptions) (runtime.Object, error) {
	return nil, f.notSupported("deletecollection")
}
