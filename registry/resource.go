package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource describes one served group/version/resource.
type Resource struct {
	Group      string
	Version    string
	Kind       string
	Plural     string // the resource name in URLs, e.g. "deployments"
	Singular   string
	ShortNames []string
	Categories []string
	Namespaced bool
	// Subresources served besides the main resource, e.g. "status", "scale", "binding".
	Subresources []string
	// Verbs the main resource supports, as discovery lists them.
	Verbs []string

	// New and NewList make empty objects of the resource's Go type (typed for built-ins,
	// unstructured for custom resources).
	New     func() runtime.Object
	NewList func() runtime.Object

	// TableColumns and TableRow give kubectl's table output: the column definitions and one row's
	// cells for an object (the name column first, as kubectl expects).
	TableColumns []metav1.TableColumnDefinition
	TableRow     func(obj runtime.Object) ([]interface{}, error)

	// SelectableFields returns the fields a fieldSelector may name for an object, with
	// metadata.name (and metadata.namespace for namespaced resources) always among them.
	SelectableFields func(obj runtime.Object) fields.Set

	// Strategy adds the resource's own rules to the generic store.
	Strategy Strategy

	// StorageVersionHash is discovery's storageVersionHash; optional.
	StorageVersionHash string

	// SharedStorage, when set, says the resource has no storage of its own: its objects are
	// another resource's, converted on the way in and out (events.k8s.io/v1 events are core/v1
	// events underneath, as in kube). Nil for a resource with its own storage.
	SharedStorage *SharedStorage
}

// SharedStorage names the resource whose storage a resource serves, and converts between the
// two Go types. The conversions return new objects and never change their argument.
type SharedStorage struct {
	// Resource is the group and plural of the resource that owns the storage.
	Resource schema.GroupResource
	// ToStorage converts an object of this resource's type (New) into the owner's type.
	ToStorage func(obj runtime.Object) (runtime.Object, error)
	// FromStorage converts an object of the owner's type into this resource's type.
	FromStorage func(obj runtime.Object) (runtime.Object, error)
}

// GroupVersionResource is the resource's GVR.
func (r *Resource) GroupVersionResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Plural}
}

// GroupVersionKind is the resource's GVK.
func (r *Resource) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// HasSubresource reports whether the resource serves sub.
func (r *Resource) HasSubresource(sub string) bool {
	for _, s := range r.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// Strategy is a resource's own behaviour in the generic store. Every method receives objects of
// the resource's Go type. Objects passed in may be changed in place.
type Strategy interface {
	// PrepareForCreate clears what a client may not set on create (status, for resources with a
	// status subresource) and applies defaults.
	PrepareForCreate(ctx context.Context, obj runtime.Object)
	// PrepareForUpdate keeps what a client may not change on update through the main resource
	// (status, for resources with a status subresource) and applies defaults.
	PrepareForUpdate(ctx context.Context, obj, old runtime.Object)
	// Validate checks a new object.
	Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	// ValidateUpdate checks an update (immutable fields among other things).
	ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// PrepareForStatusUpdate keeps everything but status from old when writing through /status.
	PrepareForStatusUpdate(ctx context.Context, obj, old runtime.Object)
	// SpecChanged reports whether an update changes the object's spec (generation is bumped only
	// then). Resources without a spec/status split answer whether anything but metadata changed.
	SpecChanged(obj, old runtime.Object) bool
}
