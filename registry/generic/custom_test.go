package generic

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// widgets is a custom resource as a CRD would add it: unstructured objects, no strategy.
func widgets() *registry.Resource {
	return &registry.Resource{
		Group: "example.com", Version: "v1", Kind: "Widget", Plural: "widgets", Singular: "widget",
		Namespaced: true, Subresources: []string{"status"},
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

func widget(name string, size int64, status string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]interface{}{"name": name},
		"spec":     map[string]interface{}{"size": size},
	}}
	if status != "" {
		u.Object["status"] = map[string]interface{}{"state": status}
	}
	return u
}

func TestCustomResourceWithoutStrategy(t *testing.T) {
	env := newEnv(t)
	prefix := fmt.Sprintf("/custom-%d", prefixCounter.Add(1))
	res := widgets()
	entry := NewEntry(res, etcd3.New(etcdClient, prefix, Codec(res)), Deps{Namespace: NamespaceGetter(env.reg)})
	s := entry.Store
	ctx := context.Background()

	out, err := s.Create(ctx, "ns", widget("w", 1, "client-set"), registry.Admission{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := out.(*unstructured.Unstructured)
	if w.GetGeneration() != 1 || w.GetUID() == "" || w.Object["status"] != nil {
		t.Fatalf("created widget: generation %d uid %q status %v", w.GetGeneration(), w.GetUID(), w.Object["status"])
	}

	// Stored bytes carry apiVersion and kind, never resourceVersion.
	raw, err := etcdClient.Get(ctx, prefix+"/example.com/widgets/ns/w")
	if err != nil || len(raw.Kvs) != 1 {
		t.Fatalf("reading the stored widget: %v (%d keys)", err, len(raw.Kvs))
	}
	var stored map[string]interface{}
	if err := json.Unmarshal(raw.Kvs[0].Value, &stored); err != nil {
		t.Fatal(err)
	}
	if stored["apiVersion"] != "example.com/v1" || stored["kind"] != "Widget" {
		t.Errorf("stored TypeMeta %v %v", stored["apiVersion"], stored["kind"])
	}
	if md := stored["metadata"].(map[string]interface{}); md["resourceVersion"] != nil {
		t.Errorf("stored bytes carry resourceVersion %v", md["resourceVersion"])
	}

	// A spec change bumps generation; status is kept on the main resource.
	next := w.DeepCopy()
	_ = unstructured.SetNestedField(next.Object, int64(2), "spec", "size")
	next.Object["status"] = map[string]interface{}{"state": "ignored"}
	out, _, err = s.Update(ctx, "ns", "w", "", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	w = out.(*unstructured.Unstructured)
	if w.GetGeneration() != 2 || w.Object["status"] != nil {
		t.Errorf("after a spec update: generation %d status %v", w.GetGeneration(), w.Object["status"])
	}

	// The status subresource writes status only.
	next = w.DeepCopy()
	next.Object["status"] = map[string]interface{}{"state": "ready"}
	_ = unstructured.SetNestedField(next.Object, int64(9), "spec", "size")
	out, _, err = s.Update(ctx, "ns", "w", "status", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	w = out.(*unstructured.Unstructured)
	size, _, _ := unstructured.NestedInt64(w.Object, "spec", "size")
	state, _, _ := unstructured.NestedString(w.Object, "status", "state")
	if size != 2 || state != "ready" || w.GetGeneration() != 2 {
		t.Errorf("after a status update: size %d state %q generation %d", size, state, w.GetGeneration())
	}

	// Custom resources refuse updates without a resourceVersion, as kube's do.
	unpinned := w.DeepCopy()
	unpinned.SetResourceVersion("")
	_, _, err = s.Update(ctx, "ns", "w", "", replaceWith(unpinned), registry.Admission{}, false, nil)
	st := wantStatus(t, err, 422, metav1.StatusReasonInvalid)
	if want := `widgets.example.com "w" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`; st.Message != want {
		t.Errorf("message %q, want %q", st.Message, want)
	}

	list, err := s.List(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ul := list.(*unstructured.UnstructuredList); len(ul.Items) != 1 || ul.GetKind() != "WidgetList" {
		t.Errorf("list kind %q with %d items", ul.GetKind(), len(ul.Items))
	}

	// Custom resources answer a delete with the object, as kube's do.
	out, deleted, err := s.Delete(ctx, "ns", "w", registry.Admission{}, nil)
	if err != nil || !deleted {
		t.Fatalf("delete: deleted %v err %v", deleted, err)
	}
	if got, ok := out.(*unstructured.Unstructured); !ok || got.GetName() != "w" {
		t.Errorf("delete answered %#v", out)
	}
	if _, err := s.Get(ctx, "ns", "w", nil); !apierrors.IsNotFound(err) {
		t.Errorf("widget still there: %v", err)
	}
}
