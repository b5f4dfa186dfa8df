package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// Store is what the REST layer asks of a resource's storage: kube-apiserver's generic registry
// operations. registry/generic implements it once for every resource; a few subresources (scale,
// binding) adapt it. Errors are Kubernetes Status errors (k8s.io/apimachinery/pkg/api/errors),
// ready to be written to a client.
type Store interface {
	Get(ctx context.Context, namespace, name string, opts *metav1.GetOptions) (runtime.Object, error)
	// List returns a list object (the resource's NewList type).
	List(ctx context.Context, namespace string, opts *metav1.ListOptions) (runtime.Object, error)
	Watch(ctx context.Context, namespace string, opts *metav1.ListOptions) (storage.Watcher, error)

	// Create stores a new object. It runs the strategy (PrepareForCreate, Validate) and then
	// admission.Validate; admission.Mutate has already run in the REST layer.
	Create(ctx context.Context, namespace string, obj runtime.Object, admission Admission, opts *metav1.CreateOptions) (runtime.Object, error)

	// Update reads the current object and calls update to compute the new one (the REST layer
	// applies the body or patch there, and runs mutating admission); then runs the strategy
	// (PrepareForUpdate or PrepareForStatusUpdate when subresource is "status", ValidateUpdate) and
	// admission.Validate, and stores it with a compare-and-swap, retrying on a lost race when the
	// client did not pin a resourceVersion. When the object does not exist and allowCreate is
	// true, update receives nil and the result is created (created reports it).
	Update(ctx context.Context, namespace, name, subresource string, update UpdateFunc, admission Admission, allowCreate bool, opts *metav1.UpdateOptions) (obj runtime.Object, created bool, err error)

	// Delete deletes an object, honouring preconditions, gracePeriodSeconds, finalizers and
	// propagationPolicy. deleted is false when the object stays (finalizers, foreground deletion)
	// with a deletionTimestamp set; obj is then the updated object.
	Delete(ctx context.Context, namespace, name string, admission Admission, opts *metav1.DeleteOptions) (obj runtime.Object, deleted bool, err error)

	// DeleteCollection deletes every object the list options select and returns them as a list.
	DeleteCollection(ctx context.Context, namespace string, admission Admission, opts *metav1.DeleteOptions, listOpts *metav1.ListOptions) (runtime.Object, error)
}

// UpdateFunc computes an updated object from the current one (nil when it does not exist and
// creation is allowed). It must not change current.
type UpdateFunc func(ctx context.Context, current runtime.Object) (runtime.Object, error)

// Admission is the validating admission the store calls after its own validation; it is the
// REST layer's adapter to the admission chain. Either function may be nil.
type Admission struct {
	// Validate admits obj (nil for a delete) replacing old (nil for a create).
	Validate func(ctx context.Context, obj, old runtime.Object) error
}
