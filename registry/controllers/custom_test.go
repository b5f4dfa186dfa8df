package controllers

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// widgets is a custom resource as a CRD adds it, at runtime.
func widgets() *registry.Resource {
	return &registry.Resource{
		Group: "example.com", Version: "v1", Kind: "Widget", Plural: "widgets", Singular: "widget",
		Namespaced: true,
		New: func() runtime.Object {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("example.com/v1")
			u.SetKind("Widget")
			return u
		},
		NewList: func() runtime.Object {
			u := &unstructured.UnstructuredList{}
			u.SetAPIVersion("example.com/v1")
			u.SetKind("WidgetList")
			return u
		},
	}
}

func widget(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]interface{}{"name": name},
	}}
}

// TestControllersCoverResourcesAddedAtRuntime: a custom resource added after the controllers
// started is emptied from terminating namespaces and garbage collected like a built-in.
func TestControllersCoverResourcesAddedAtRuntime(t *testing.T) {
	reg := newRegistry(t)
	startControllers(t, reg)
	res := widgets()
	underlying := etcd3.New(etcdClient, fmt.Sprintf("/custom-%d", prefixCounter.Add(1)), generic.Codec(res))
	reg.Add(generic.NewEntry(res, cached(t, res, underlying), generic.Deps{Namespace: generic.NamespaceGetter(reg)}))
	ws := reg.Get(res.GroupVersionResource()).Store
	createNamespace(t, reg, "crs")

	owner := create(t, store(t, reg, "", "configmaps"), "crs", configMap("owner"))
	dep := widget("dependent")
	dep.SetOwnerReferences([]metav1.OwnerReference{ownerRef(owner, false)})
	create(t, ws, "crs", dep)
	create(t, ws, "crs", widget("content"))

	if _, _, err := store(t, reg, "", "configmaps").Delete(context.Background(), "crs", "owner", registry.Admission{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the widget owned by a gone configmap to go", gone(ws, "crs", "dependent"))

	if _, _, err := store(t, reg, "", "namespaces").Delete(context.Background(), "", "crs", registry.Admission{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the widget in the deleted namespace to go", gone(ws, "crs", "content"))
	eventually(t, "the namespace to go", gone(store(t, reg, "", "namespaces"), "", "crs"))
}
