package generic

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

// metadataStrategy is the strategy of a resource that brings none (custom resources): kube's
// custom resource rules without a schema. Metadata is validated, status is kept apart when the
// resource has a status subresource, and generation follows every change outside metadata and
// status.
type metadataStrategy struct {
	res *registry.Resource
}

var _ registry.Strategy = metadataStrategy{}

func (m metadataStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if u, ok := obj.(*unstructured.Unstructured); ok && m.res.HasSubresource("status") {
		delete(u.Object, "status")
	}
	if a, err := meta.Accessor(obj); err == nil {
		a.SetGeneration(1)
	}
}

func (m metadataStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	u, ok1 := obj.(*unstructured.Unstructured)
	prev, ok2 := old.(*unstructured.Unstructured)
	if !ok1 || !ok2 || !m.res.HasSubresource("status") {
		return
	}
	if st, ok := prev.Object["status"]; ok {
		u.Object["status"] = runtime.DeepCopyJSONValue(st)
	} else {
		delete(u.Object, "status")
	}
}

func (m metadataStrategy) PrepareForStatusUpdate(_ context.Context, obj, old runtime.Object) {
	u, ok1 := obj.(*unstructured.Unstructured)
	prev, ok2 := old.(*unstructured.Unstructured)
	if !ok1 || !ok2 {
		return
	}
	status, hasStatus := u.Object["status"]
	metadata := u.Object["metadata"]
	u.Object = runtime.DeepCopyJSON(prev.Object)
	u.Object["metadata"] = metadata
	if hasStatus {
		u.Object["status"] = status
	} else {
		delete(u.Object, "status")
	}
}

func (m metadataStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	a, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	return apivalidation.ValidateObjectMetaAccessor(a, m.res.Namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func (m metadataStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	a, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	b, err := meta.Accessor(old)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	return apivalidation.ValidateObjectMetaAccessorUpdate(a, b, field.NewPath("metadata"))
}

func (m metadataStrategy) SpecChanged(obj, old runtime.Object) bool {
	u, ok1 := obj.(*unstructured.Unstructured)
	prev, ok2 := old.(*unstructured.Unstructured)
	if !ok1 || !ok2 {
		return false
	}
	return !apiequality.Semantic.DeepEqual(withoutMetaAndStatus(u.Object), withoutMetaAndStatus(prev.Object))
}

func withoutMetaAndStatus(o map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(o))
	for k, v := range o {
		switch k {
		case "metadata", "status", "apiVersion", "kind":
			continue
		}
		out[k] = v
	}
	return out
}
