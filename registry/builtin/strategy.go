package builtin

import (
	"context"
	"reflect"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

// object is what every built-in Go type is: a runtime.Object with ObjectMeta.
type object interface {
	runtime.Object
	metav1.Object
}

// typed is a registry.Strategy for the Go type T (a pointer to a k8s.io/api struct), assembled from
// per-kind hooks. A nil hook does nothing, so a zero typed is kube's most permissive strategy:
// metadata validation only.
type typed[T object] struct {
	namespaced bool
	// nameFn validates metadata.name (and generateName); DNS-1123 subdomain unless set.
	nameFn apivalidation.ValidateNameFunc
	// status marks a status subresource: create clears status, update keeps the old status, and
	// /status writes keep everything else.
	status bool
	// createKeepsStatus lets a create set status (nodes: the kubelet registers a node with it).
	createKeepsStatus bool

	// initStatus sets the status a new object starts with, after defaults ran and status was
	// cleared.
	initStatus func(obj T)
	// prepareCreate adds a kind's own rules to a create.
	prepareCreate func(obj T)
	// defaults applies kube's defaulting; it runs on create and on update.
	defaults func(obj T)
	// prepareUpdate adds a kind's own rules to an update through the main resource.
	prepareUpdate func(obj, old T)
	// prepareStatus adds a kind's own rules to a /status write (spec is already restored).
	prepareStatus func(obj, old T)
	// validate checks the object's own fields (metadata is checked by typed).
	validate func(obj T) field.ErrorList
	// validateUpdate checks transitions (immutable fields); validate runs on updates too.
	validateUpdate func(obj, old T) field.ErrorList
	// generation returns the part of the object whose change bumps metadata.generation. Nil means
	// the resource does not track generation: SpecChanged is then always false.
	generation func(obj T) interface{}
}

var _ registry.Strategy = typed[*metav1.PartialObjectMetadata]{}

// PrepareForCreate applies defaults, resets status, starts generation at 1 where tracked, and
// runs the kind's create rules.
func (s typed[T]) PrepareForCreate(_ context.Context, obj runtime.Object) {
	o, ok := obj.(T)
	if !ok {
		return
	}
	// kube defaults while decoding, before the strategy runs; the order here is the same.
	if s.defaults != nil {
		s.defaults(o)
	}
	if s.status && !s.createKeepsStatus {
		clearStatus(o)
		if s.initStatus != nil {
			s.initStatus(o)
		}
	}
	if s.generation != nil {
		o.SetGeneration(1)
	}
	if s.prepareCreate != nil {
		s.prepareCreate(o)
	}
}

// PrepareForUpdate applies defaults, keeps the old status, and runs the kind's update rules.
func (s typed[T]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	o, ok1 := obj.(T)
	prev, ok2 := old.(T)
	if !ok1 || !ok2 {
		return
	}
	if s.defaults != nil {
		s.defaults(o)
	}
	if s.status {
		copyField(o, prev, "Status")
	}
	if s.prepareUpdate != nil {
		s.prepareUpdate(o, prev)
	}
}

// PrepareForStatusUpdate keeps everything of old but status and metadata, then runs the kind's
// status rules.
func (s typed[T]) PrepareForStatusUpdate(_ context.Context, obj, old runtime.Object) {
	o, ok1 := obj.(T)
	prev, ok2 := old.(T)
	if !ok1 || !ok2 {
		return
	}
	keepAllButStatus(o, prev)
	if s.prepareStatus != nil {
		s.prepareStatus(o, prev)
	}
}

// Validate checks metadata with the kind's name rule, then the kind's fields.
func (s typed[T]) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	o, ok := obj.(T)
	if !ok {
		return field.ErrorList{field.InternalError(nil, errUnexpectedType(obj))}
	}
	nameFn := s.nameFn
	if nameFn == nil {
		nameFn = apivalidation.NameIsDNSSubdomain
	}
	errs := apivalidation.ValidateObjectMetaAccessor(o, s.namespaced, nameFn, field.NewPath("metadata"))
	if s.validate != nil {
		errs = append(errs, s.validate(o)...)
	}
	return errs
}

// ValidateUpdate checks the metadata transition, the new object's fields and the kind's
// immutable fields.
func (s typed[T]) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	o, ok1 := obj.(T)
	prev, ok2 := old.(T)
	if !ok1 || !ok2 {
		return field.ErrorList{field.InternalError(nil, errUnexpectedType(obj))}
	}
	errs := apivalidation.ValidateObjectMetaAccessorUpdate(o, prev, field.NewPath("metadata"))
	if s.validate != nil {
		errs = append(errs, s.validate(o)...)
	}
	if s.validateUpdate != nil {
		errs = append(errs, s.validateUpdate(o, prev)...)
	}
	return errs
}

// SpecChanged compares the kind's generation-relevant part; false where generation is not tracked.
func (s typed[T]) SpecChanged(obj, old runtime.Object) bool {
	if s.generation == nil {
		return false
	}
	o, ok1 := obj.(T)
	prev, ok2 := old.(T)
	if !ok1 || !ok2 {
		return false
	}
	return !apiequality.Semantic.DeepEqual(s.generation(o), s.generation(prev))
}

// clearStatus zeroes obj's Status field, if it has one.
func clearStatus(obj interface{}) {
	v := reflect.ValueOf(obj).Elem()
	if f := v.FieldByName("Status"); f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}

// copyField sets dst's named field to a deep copy of src's.
func copyField(dst, src runtime.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	if !d.IsValid() || !d.CanSet() {
		return
	}
	cp := src.DeepCopyObject()
	d.Set(reflect.ValueOf(cp).Elem().FieldByName(name))
}

// keepAllButStatus restores every top-level field of obj but TypeMeta, ObjectMeta and Status
// from old: kube's status strategies keep the old spec (and the fields that play the part of a
// spec, such as a Secret's data) and let metadata through to the generic checks.
func keepAllButStatus(obj, old runtime.Object) {
	cp := old.DeepCopyObject()
	d := reflect.ValueOf(obj).Elem()
	s := reflect.ValueOf(cp).Elem()
	t := d.Type()
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
			continue
		}
		if d.Field(i).CanSet() {
			d.Field(i).Set(s.Field(i))
		}
	}
}

// spec returns obj's Spec field, for kinds whose generation follows their spec.
func spec(obj interface{}) interface{} {
	f := reflect.ValueOf(obj).Elem().FieldByName("Spec")
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}

// specOf is spec typed for a typed strategy's generation hook.
func specOf[T object](obj T) interface{} { return spec(obj) }
