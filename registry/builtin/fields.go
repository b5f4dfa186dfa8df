package builtin

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fieldsFor returns the SelectableFields function of one resource: metadata.name, and
// metadata.namespace for namespaced resources, plus the fields kube lets a fieldSelector name.
func fieldsFor(r schema.GroupVersionResource, namespaced bool) func(runtime.Object) fields.Set {
	extra := selectableExtras[r]
	return func(obj runtime.Object) fields.Set {
		set := fields.Set{}
		m, err := metaOf(obj)
		if err != nil {
			return set
		}
		set["metadata.name"] = m.GetName()
		if namespaced {
			set["metadata.namespace"] = m.GetNamespace()
		}
		if extra != nil {
			extra(obj, set)
		}
		return set
	}
}

// selectableExtras adds a resource's own selectable fields to set.
var selectableExtras = map[schema.GroupVersionResource]func(obj runtime.Object, set fields.Set){}
