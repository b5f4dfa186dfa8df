package openapi

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/util/proto"
)

// TestStrategicMergeFromSchemas applies a strategic merge patch the way kubectl apply does,
// with the patch metadata read from our OpenAPI documents (v3 first, v2 as kubectl's
// fallback): a patch naming one container must merge into the list by name, not replace it.
func TestStrategicMergeFromSchemas(t *testing.T) {
	original := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["a"]},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}`)
	patch := []byte(`{"metadata":{"finalizers":["b"]},"spec":{"containers":[{"name":"b","image":"b:2"}]}}`)
	want := `{"apiVersion":"v1","kind":"Pod","metadata":{"finalizers":["b","a"],"name":"p"},"spec":{"containers":[{"image":"a:1","name":"a"},{"image":"b:2","name":"b"}]}}`

	doc, ok := BuildV3(sampleEntries(), "api/v1")
	if !ok {
		t.Fatal("no api/v1 document")
	}
	// Round-trip through JSON, as a client sees the document.
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var parsed spec3.OpenAPI
	if err := json.Unmarshal(data, &parsed); err != nil {
		t.Fatal(err)
	}
	v3Meta := strategicpatch.PatchMetaFromOpenAPIV3{
		SchemaList: parsed.Components.Schemas,
		Schema:     parsed.Components.Schemas["io.k8s.api.core.v1.Pod"],
	}
	v2Meta := strategicpatch.NewPatchMetaFromOpenAPI(v2Models(t).LookupModel("io.k8s.api.core.v1.Pod").(*proto.Kind))

	for name, meta := range map[string]strategicpatch.LookupPatchMeta{"v3": v3Meta, "v2": v2Meta} {
		got, err := strategicpatch.StrategicMergePatchUsingLookupPatchMeta(original, patch, meta)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s: merged\n got %s\nwant %s", name, got, want)
		}
	}
}
