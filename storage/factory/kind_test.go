package factory

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/storage"
)

// kindWritingCodec writes gvk into every object's bytes, as the registry's codecs do.
func kindWritingCodec(gvk schema.GroupVersionKind, newObj func() runtime.Object) storage.Codec {
	return storage.Codec{
		New: newObj,
		Encode: func(obj runtime.Object) ([]byte, error) {
			obj.GetObjectKind().SetGroupVersionKind(gvk)
			return json.Marshal(obj)
		},
		Decode: func(data []byte, into runtime.Object) error { return json.Unmarshal(data, into) },
	}
}

// TestKindOf: the watch cache's registered-watchers gauge is labelled with the kind the codec
// stores, version included (kube labels it group, version, kind), custom resources too.
func TestKindOf(t *testing.T) {
	configMap := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	widget := schema.GroupVersionKind{Group: "example.com", Version: "v1beta1", Kind: "Widget"}
	for _, tc := range []struct {
		name  string
		gr    schema.GroupResource
		codec storage.Codec
		want  schema.GroupVersionKind
	}{
		{"typed", schema.GroupResource{Resource: "configmaps"},
			kindWritingCodec(configMap, func() runtime.Object { return &corev1.ConfigMap{} }), configMap},
		{"custom resource", schema.GroupResource{Group: "example.com", Resource: "widgets"},
			kindWritingCodec(widget, func() runtime.Object { return &unstructured.Unstructured{} }), widget},
		{"codec writes no kind", schema.GroupResource{Resource: "configmaps"}, configMapCodec,
			schema.GroupVersionKind{Kind: "ConfigMap"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kindOf(tc.gr, tc.codec); got != tc.want {
				t.Errorf("kindOf = %v, want %v", got, tc.want)
			}
		})
	}
}
