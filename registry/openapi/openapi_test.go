package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/util/proto"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
)

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func sampleEntries() []*registry.Entry {
	var out []*registry.Entry
	for _, r := range []*registry.Resource{
		{Version: "v1", Kind: "Pod", Plural: "pods", Singular: "pod", Namespaced: true, Subresources: []string{"status", "binding", "eviction", "log"}, Verbs: allVerbs,
			New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} }},
		{Version: "v1", Kind: "ConfigMap", Plural: "configmaps", Singular: "configmap", Namespaced: true, Verbs: allVerbs,
			New: func() runtime.Object { return &corev1.ConfigMap{} }, NewList: func() runtime.Object { return &corev1.ConfigMapList{} }},
		{Version: "v1", Kind: "Namespace", Plural: "namespaces", Singular: "namespace", Subresources: []string{"status", "finalize"}, Verbs: allVerbs[:7],
			New: func() runtime.Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} }},
		{Group: "apps", Version: "v1", Kind: "Deployment", Plural: "deployments", Singular: "deployment", Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs,
			New: func() runtime.Object { return &appsv1.Deployment{} }, NewList: func() runtime.Object { return &appsv1.DeploymentList{} }},
		{Group: "example.com", Version: "v1", Kind: "Widget", Plural: "widgets", Singular: "widget", Namespaced: true, Verbs: allVerbs,
			New: func() runtime.Object { return &unstructured.Unstructured{} }, NewList: func() runtime.Object { return &unstructured.UnstructuredList{} }},
	} {
		out = append(out, &registry.Entry{Resource: r})
	}
	return out
}

func v2Models(t *testing.T) proto.Models {
	t.Helper()
	data, err := json.Marshal(BuildV2(sampleEntries()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi_v2.ParseDocument(data)
	if err != nil {
		t.Fatalf("gnostic cannot parse the v2 document: %v", err)
	}
	models, err := proto.NewOpenAPIData(doc)
	if err != nil {
		t.Fatalf("kube-openapi cannot read the v2 document: %v", err)
	}
	return models
}

func TestV2KindsResolve(t *testing.T) {
	models := v2Models(t)
	for _, name := range []string{"io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.ConfigMap",
		"io.k8s.api.autoscaling.v1.Scale", "io.k8s.api.policy.v1.Eviction", "com.example.v1.Widget", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"} {
		if models.LookupModel(name) == nil {
			t.Errorf("model %s missing", name)
		}
	}
	kind, ok := models.LookupModel("io.k8s.api.core.v1.Pod").(*proto.Kind)
	if !ok {
		t.Fatal("Pod is not a kind")
	}
	gvks := kind.GetExtensions()[extGVK]
	if !reflect.DeepEqual(gvks, []interface{}{map[interface{}]interface{}{"group": "", "kind": "Pod", "version": "v1"}}) {
		t.Errorf("Pod %s = %#v", extGVK, gvks)
	}
}

// TestContainersMergeOnName checks what strategic merge patch reads: spec.containers merges
// by name.
func TestContainersMergeOnName(t *testing.T) {
	models := v2Models(t)
	pod := models.LookupModel("io.k8s.api.core.v1.Pod").(*proto.Kind)
	spec := pod.Fields["spec"].(proto.Reference).SubSchema().(*proto.Kind)
	containers := spec.Fields["containers"]
	ext := containers.GetExtensions()
	if ext[extPatchStrategy] != "merge" || ext[extPatchMergeKey] != "name" {
		t.Errorf("spec.containers extensions = %v", ext)
	}
	if _, ok := containers.(*proto.Array); !ok {
		t.Errorf("spec.containers is %T, want an array", containers)
	}
	if len(spec.RequiredFields) != 1 || spec.RequiredFields[0] != "containers" {
		t.Errorf("PodSpec required = %v, want [containers]", spec.RequiredFields)
	}
	if len(pod.RequiredFields) != 0 {
		t.Errorf("Pod required = %v, want none", pod.RequiredFields)
	}
}

func TestV3Document(t *testing.T) {
	entries := sampleEntries()
	if got, want := V3Paths(entries), []string{"api/v1", "apis/apps/v1", "apis/example.com/v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("V3Paths = %v, want %v", got, want)
	}
	doc, ok := BuildV3(entries, "apis/apps/v1")
	if !ok {
		t.Fatal("no apps/v1 document")
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var parsed spec3.OpenAPI
	if err := json.Unmarshal(data, &parsed); err != nil {
		t.Fatalf("spec3 cannot parse the v3 document: %v", err)
	}
	dep := parsed.Components.Schemas["io.k8s.api.apps.v1.Deployment"]
	if dep == nil {
		t.Fatal("Deployment schema missing")
	}
	if _, ok := parsed.Components.Schemas["io.k8s.api.core.v1.Pod"]; ok {
		t.Error("apps/v1 document holds Pod, which no apps/v1 operation refers to")
	}
	if parsed.Components.Schemas["io.k8s.api.core.v1.PodSpec"] == nil {
		t.Error("apps/v1 document lacks PodSpec, which Deployment refers to")
	}
	patch := parsed.Paths.Paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].Patch
	if patch == nil {
		t.Fatal("no PATCH on a deployment")
	}
	found := false
	for _, p := range patch.Parameters {
		found = found || (p.Name == "fieldValidation" && p.In == "query")
	}
	if !found {
		t.Error("PATCH lacks the fieldValidation query parameter kubectl looks for")
	}
	if _, ok := BuildV3(entries, "apis/apps/v2"); ok {
		t.Error("apis/apps/v2 has a document")
	}
}

func TestSpecialTypes(t *testing.T) {
	tests := []struct {
		flavor flavor
		name   string
		want   string
	}{
		{flavorV2, "io.k8s.apimachinery.pkg.apis.meta.v1.Time", `{"type":"string","format":"date-time"}`},
		{flavorV2, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", `{"type":"string","format":"int-or-string"}`},
		{flavorV3, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", `{"format":"int-or-string","oneOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true}`},
		{flavorV2, "io.k8s.apimachinery.pkg.api.resource.Quantity", `{"type":"string"}`},
		{flavorV3, "io.k8s.apimachinery.pkg.api.resource.Quantity", `{"oneOf":[{"type":"string"},{"type":"number"}]}`},
		{flavorV2, "io.k8s.apimachinery.pkg.runtime.RawExtension", `{"type":"object"}`},
		{flavorV2, "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1", `{"type":"object"}`},
		{flavorV2, "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime", `{"type":"string","format":"date-time"}`},
	}
	builders := map[flavor]*builder{}
	for _, f := range []flavor{flavorV2, flavorV3} {
		b := newBuilder(f)
		for _, e := range sampleEntries() {
			b.addResource(e.Resource)
		}
		b.addMeta([]schema.GroupVersion{{Version: "v1"}})
		builders[f] = b
	}
	// Types no sample resource reaches.
	for _, b := range builders {
		b.define(reflect.TypeOf(runtime.RawExtension{}))
		b.define(reflect.TypeOf(metav1.MicroTime{}))
	}
	for _, tt := range tests {
		s := builders[tt.flavor].defs[tt.name]
		if s == nil {
			t.Errorf("%s (flavor %d) not defined", tt.name, tt.flavor)
			continue
		}
		got, _ := json.Marshal(s)
		if string(got) != tt.want {
			t.Errorf("%s (flavor %d) = %s, want %s", tt.name, tt.flavor, got, tt.want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGolden pins the v2 and v3 schemas of two small types: ConfigMap (a top-level kind) and
// ContainerPort (a nested type, with required fields).
func TestGolden(t *testing.T) {
	for _, f := range []struct {
		flavor flavor
		file   string
	}{{flavorV2, "schemas_v2.json"}, {flavorV3, "schemas_v3.json"}} {
		b := newBuilder(f.flavor)
		b.addKind(&corev1.ConfigMap{}, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
		b.define(reflect.TypeOf(corev1.ContainerPort{}))
		defs := b.finish()
		pinned := map[string]interface{}{}
		for _, name := range []string{"io.k8s.api.core.v1.ConfigMap", "io.k8s.api.core.v1.ContainerPort"} {
			pinned[name] = defs[name]
		}
		got, err := json.MarshalIndent(pinned, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", f.file)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs (go test -update to accept):\n%s", path, got)
		}
	}
}

// TestBuiltinDocuments builds the documents for every built-in resource: v2 must read as
// kube-openapi's proto models with every kind findable by its group-version-kind, and every
// group/version must have a v3 document that spec3 parses.
func TestBuiltinDocuments(t *testing.T) {
	var entries []*registry.Entry
	for _, r := range builtin.Resources() {
		entries = append(entries, &registry.Entry{Resource: r})
	}
	data, err := json.Marshal(BuildV2(entries))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi_v2.ParseDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	models, err := proto.NewOpenAPIData(doc)
	if err != nil {
		t.Fatal(err)
	}
	byGVK := map[schema.GroupVersionKind]bool{}
	for _, name := range models.ListModels() {
		for _, g := range gvkExtension(models.LookupModel(name)) {
			byGVK[g] = true
		}
	}
	for _, e := range entries {
		if gvk := e.Resource.GroupVersionKind(); !byGVK[gvk] {
			t.Errorf("no v2 definition carries %v", gvk)
		}
	}
	for _, path := range V3Paths(entries) {
		doc, ok := BuildV3(entries, path)
		if !ok {
			t.Errorf("no v3 document for %s", path)
			continue
		}
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var parsed spec3.OpenAPI
		if err := json.Unmarshal(data, &parsed); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func gvkExtension(s proto.Schema) []schema.GroupVersionKind {
	list, _ := s.GetExtensions()[extGVK].([]interface{})
	var out []schema.GroupVersionKind
	for _, item := range list {
		m, _ := item.(map[interface{}]interface{})
		g, _ := m["group"].(string)
		v, _ := m["version"].(string)
		k, _ := m["kind"].(string)
		out = append(out, schema.GroupVersionKind{Group: g, Version: v, Kind: k})
	}
	return out
}
