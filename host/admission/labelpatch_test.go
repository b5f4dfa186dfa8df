package admission

import (
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestLabelPatchMatchesJSONPatch applies patches to typed objects both ways: whenever
// applyLabelPatch takes a patch, its object must be the one the JSON way gives.
func TestLabelPatchMatchesJSONPatch(t *testing.T) {
	cm := func(labels map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Labels: labels}, Data: map[string]string{"k": "v"}}
	}
	cases := []struct {
		name   string
		obj    runtime.Object
		patch  string
		taken  bool // applyLabelPatch should take it
		change bool
	}{
		{"add a label", cm(map[string]string{"app": "x"}), `[{"op":"add","path":"/metadata/labels/team","value":"none"}]`, true, true},
		{"replace a label", cm(map[string]string{"team": "a"}), `[{"op":"add","path":"/metadata/labels/team","value":"b"}]`, true, true},
		{"same label", cm(map[string]string{"team": "a"}), `[{"op":"add","path":"/metadata/labels/team","value":"a"}]`, true, false},
		{"add the map", cm(nil), `[{"op":"add","path":"/metadata/labels","value":{"team":"none"}}]`, true, true},
		{"replace the map", cm(map[string]string{"a": "1"}), `[{"op":"add","path":"/metadata/labels","value":{"b":"2"}}]`, true, true},
		{"same map", cm(map[string]string{"a": "1"}), `[{"op":"add","path":"/metadata/labels","value":{"a":"1"}}]`, true, false},
		{"empty map added", cm(nil), `[{"op":"add","path":"/metadata/labels","value":{}}]`, true, true},
		{"empty map over an empty one", cm(map[string]string{}), `[{"op":"add","path":"/metadata/labels","value":{}}]`, true, true},
		{"map then label", cm(nil), `[{"op":"add","path":"/metadata/labels","value":{"a":"1"}},{"op":"add","path":"/metadata/labels/b","value":"2"}]`, true, true},
		{"label without a map", cm(nil), `[{"op":"add","path":"/metadata/labels/team","value":"none"}]`, false, false},
		{"escaped key", cm(map[string]string{"a": "1"}), `[{"op":"add","path":"/metadata/labels/owner~1team","value":"none"}]`, false, false},
		{"not a string", cm(map[string]string{"a": "1"}), `[{"op":"add","path":"/metadata/labels/n","value":1}]`, false, false},
		{"another op", cm(map[string]string{"a": "1"}), `[{"op":"remove","path":"/metadata/labels/a"}]`, false, false},
		{"another path", cm(nil), `[{"op":"add","path":"/metadata/annotations","value":{"a":"1"}}]`, false, false},
		{"unstructured", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"labels": map[string]any{"a": "1"}}}},
			`[{"op":"add","path":"/metadata/labels/b","value":"2"}]`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.obj.DeepCopyObject()
			got, changed, ok := applyLabelPatch(c.obj, []byte(c.patch))
			if ok != c.taken || changed != c.change {
				t.Fatalf("applyLabelPatch: changed %v, taken %v; want %v, %v", changed, ok, c.change, c.taken)
			}
			if !reflect.DeepEqual(before, c.obj) {
				t.Fatal("applyLabelPatch changed the object it was given")
			}
			if !ok {
				return
			}
			objJSON, err := json.Marshal(c.obj)
			if err != nil {
				t.Fatal(err)
			}
			patched, err := applyJSONPatch("p", objJSON, []byte(c.patch))
			if err != nil {
				t.Fatal(err)
			}
			if (patched != nil) != changed {
				t.Fatalf("the JSON way says changed=%v", patched != nil)
			}
			if patched == nil {
				return
			}
			want := &corev1.ConfigMap{}
			if err := json.Unmarshal(patched, want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}
