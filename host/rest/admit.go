package rest

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/registry"
)

// attributes describes the request to admission.
func (s *scope) attributes(op string, obj, old runtime.Object, dry bool, opts runtime.Object) *admission.Attributes {
	// A create names its object in the body; a deletecollection names each object it deletes.
	name := s.info.Name
	if name == "" && obj != nil {
		name = nameOf(obj)
	}
	if name == "" && old != nil {
		name = nameOf(old)
	}
	return &admission.Attributes{
		Kind:        s.kind,
		Resource:    s.res.GroupVersionResource(),
		Subresource: s.info.Subresource,
		Name:        name,
		Namespace:   s.ns,
		Operation:   op,
		Object:      obj,
		OldObject:   old,
		DryRun:      dry,
		Options:     opts,
		New:         s.newObj,
		Warn:        s.warn,
	}
}

// mutate runs mutating admission; a nil or empty chain returns obj unchanged at no cost.
func (s *scope) mutate(ctx context.Context, op string, obj, old runtime.Object, dry bool, opts runtime.Object) (runtime.Object, error) {
	if !s.h.adm.HasMutating() {
		return obj, nil
	}
	return s.h.adm.Mutate(ctx, s.attributes(op, obj, old, dry, opts))
}

// validating is the store's hook into validating admission for one operation.
func (s *scope) validating(op string, dry bool, opts runtime.Object) registry.Admission {
	if !s.h.adm.HasValidating() {
		return registry.Admission{}
	}
	return registry.Admission{Validate: func(ctx context.Context, obj, old runtime.Object) error {
		operation := op
		if op == admission.Update && old == nil {
			// An update that creates the object is admitted as a create, as kube does.
			operation = admission.Create
		}
		return s.h.adm.Validate(ctx, s.attributes(operation, obj, old, dry, opts))
	}}
}
