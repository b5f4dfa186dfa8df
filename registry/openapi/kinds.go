package openapi

import (
	"reflect"

	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/discovery"
)

// subresourceObjects are the Go types of the subresources whose kind is not the parent's.
var subresourceObjects = map[string]func() runtime.Object{
	"scale":    func() runtime.Object { return &autoscalingv1.Scale{} },
	"eviction": func() runtime.Object { return &policyv1.Eviction{} },
	"binding":  func() runtime.Object { return &corev1.Binding{} },
	"token":    func() runtime.Object { return &authenticationv1.TokenRequest{} },
}

// Definition names of the meta types operations refer to.
var (
	deleteOptionsName = DefinitionName(reflect.TypeOf(metav1.DeleteOptions{}))
	statusName        = DefinitionName(reflect.TypeOf(metav1.Status{}))
	watchEventName    = DefinitionName(reflect.TypeOf(metav1.WatchEvent{}))
	patchName         = DefinitionName(reflect.TypeOf(metav1.Patch{}))
)

// resourceDefs is what a resource's operations refer to: the definitions of its object, its
// list and each of its subresources' kinds.
type resourceDefs struct {
	resource *registry.Resource
	object   string
	list     string
	// subresources by name: the definition and the kind an operation on it carries.
	subresources map[string]subresourceDef
}

type subresourceDef struct {
	def string
	gvk schema.GroupVersionKind
}

// addResource defines everything r's operations refer to.
func (b *builder) addResource(r *registry.Resource) resourceDefs {
	gvk := r.GroupVersionKind()
	listGVK := schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind + "List"}
	out := resourceDefs{resource: r, subresources: map[string]subresourceDef{}}

	obj := newOrNil(r.New)
	if _, unstructured := obj.(runtime.Unstructured); obj == nil || unstructured {
		out.object, out.list = b.addUnstructured(r)
	} else {
		out.object = b.addKind(obj, gvk)
		if list := newOrNil(r.NewList); list != nil {
			out.list = b.addKind(list, listGVK)
		}
	}
	for _, sub := range r.Subresources {
		d := discovery.SubresourceOf(r, sub)
		kind := d.Kind
		if kind.Group == "" && kind.Version == "" {
			kind.Group, kind.Version = r.Group, r.Version
		}
		switch {
		case subresourceObjects[sub] != nil:
			out.subresources[sub] = subresourceDef{def: b.addKind(subresourceObjects[sub](), kind), gvk: kind}
		case kind.Kind == r.Kind:
			out.subresources[sub] = subresourceDef{def: out.object, gvk: gvk}
		}
	}
	return out
}

func newOrNil(f func() runtime.Object) runtime.Object {
	if f == nil {
		return nil
	}
	return f()
}

// addUnstructured describes a resource served without a Go type (a custom resource): an object
// with apiVersion, kind and metadata that keeps whatever else it holds, named as kube names
// custom resources' schemas ("com.example.v1.Widget").
func (b *builder) addUnstructured(r *registry.Resource) (object, list string) {
	prefix := groupDefinitionPrefix(r.Group, r.Version)
	object = prefix + "." + r.Kind
	list = object + "List"
	meta := b.ref(b.define(reflect.TypeOf(metav1.ObjectMeta{})))
	listMeta := b.ref(b.define(reflect.TypeOf(metav1.ListMeta{})))

	obj := typed("object", "")
	obj.Properties = map[string]spec.Schema{"apiVersion": typed("string", ""), "kind": typed("string", ""), "metadata": meta}
	obj.AddExtension(extPreserveUnknown, true)
	b.defs[object] = &obj

	items := typed("array", "")
	item := b.ref(object)
	items.Items = &spec.SchemaOrArray{Schema: &item}
	l := typed("object", "")
	l.Properties = map[string]spec.Schema{"apiVersion": typed("string", ""), "kind": typed("string", ""), "metadata": listMeta, "items": items}
	l.Required = []string{"items"}
	b.defs[list] = &l

	b.markKind(object, r.GroupVersionKind())
	b.markKind(list, schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind + "List"})
	return object, list
}

// addMeta defines the meta types every group/version serves, marked with the kinds kube marks
// them with: DeleteOptions and WatchEvent in every served group/version, Status in v1.
func (b *builder) addMeta(gvs []schema.GroupVersion) {
	b.define(reflect.TypeOf(metav1.DeleteOptions{}))
	b.define(reflect.TypeOf(metav1.WatchEvent{}))
	b.define(reflect.TypeOf(metav1.Patch{}))
	b.addKind(&metav1.Status{}, schema.GroupVersionKind{Version: "v1", Kind: "Status"})
	for _, gv := range gvs {
		b.markKind(deleteOptionsName, gv.WithKind("DeleteOptions"))
		b.markKind(watchEventName, gv.WithKind("WatchEvent"))
	}
}
