package rest

import (
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var configMapKind = corev1.SchemeGroupVersion.WithKind("ConfigMap")

func newConfigMap() runtime.Object { return &corev1.ConfigMap{} }

func TestDecodeObject(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		mediaType string
		err       int
		strict    []string
	}{
		{"full", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}`, mediaJSON, 0, nil},
		{"no type meta", `{"metadata":{"name":"a"}}`, mediaJSON, 0, nil},
		{"yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", mediaYAML, 0, nil},
		{"unknown field", `{"metadata":{"name":"a"},"spec":{"x":1}}`, mediaJSON, 0, []string{`unknown field "spec"`}},
		{"nested unknown field", `{"metadata":{"name":"a","nope":1}}`, mediaJSON, 0, []string{`unknown field "metadata.nope"`}},
		{"duplicate field", `{"metadata":{"name":"a"},"metadata":{"name":"a"}}`, mediaJSON, 0, []string{`duplicate field "metadata"`}},
		{"yaml duplicate key", "metadata:\n  name: a\nmetadata:\n  name: b\n", mediaYAML, 0, []string{`already set in map`}},
		{"malformed", `{"metadata":`, mediaJSON, http.StatusBadRequest, nil},
		{"malformed yaml", "a: [b\n", mediaYAML, http.StatusBadRequest, nil},
		{"wrong kind", `{"kind":"Secret"}`, mediaJSON, http.StatusBadRequest, nil},
		{"wrong apiVersion", `{"apiVersion":"v2","kind":"ConfigMap"}`, mediaJSON, http.StatusBadRequest, nil},
		{"wrong type", `{"data":[]}`, mediaJSON, http.StatusBadRequest, nil},
		{"case differs", `{"Metadata":{"name":"a"}}`, mediaJSON, 0, []string{`unknown field "Metadata"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := decodeObject([]byte(tc.body), tc.mediaType, configMapKind, newConfigMap)
			if tc.err != 0 {
				if codeOf(err) != tc.err {
					t.Fatalf("error %v, want HTTP %d", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gvk := d.obj.GetObjectKind().GroupVersionKind(); gvk != configMapKind {
				t.Errorf("kind %v, want %v", gvk, configMapKind)
			}
			if len(d.strictErrs) != len(tc.strict) {
				t.Fatalf("strict errors %v, want %v", d.strictErrs, tc.strict)
			}
			for i, want := range tc.strict {
				if !strings.Contains(d.strictErrs[i].Error(), want) {
					t.Errorf("strict error %q, want %q", d.strictErrs[i], want)
				}
			}
		})
	}
}

func TestDecodeUnstructuredKeepsIntegers(t *testing.T) {
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	d, err := decodeObject([]byte(`{"apiVersion":"example.com/v1","kind":"Widget","spec":{"n":3,"extra":true}}`), mediaJSON, gvk,
		func() runtime.Object { return &unstructured.Unstructured{} })
	if err != nil {
		t.Fatal(err)
	}
	u := d.obj.(*unstructured.Unstructured)
	if n, _, _ := unstructured.NestedInt64(u.Object, "spec", "n"); n != 3 {
		t.Errorf("spec.n %v (%T), want int64 3", u.Object["spec"], u.Object["spec"])
	}
	if len(d.strictErrs) != 0 {
		t.Errorf("strict errors %v for a custom resource without a schema", d.strictErrs)
	}
}

// FuzzDecodeObject checks that no body panics the decoder, and that every failure is a 400.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`,
		`{"metadata":`, `[]`, `null`, "apiVersion: v1\nkind: ConfigMap\n", `{"kind":"Secret"}`, `{"a":1,"a":2}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, asYAML bool) {
		mediaType := mediaJSON
		if asYAML {
			mediaType = mediaYAML
		}
		d, err := decodeObject(body, mediaType, configMapKind, newConfigMap)
		if err != nil {
			if codeOf(err) != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if _, ok := d.obj.(*corev1.ConfigMap); !ok {
			t.Fatalf("decoded %T", d.obj)
		}
	})
}
