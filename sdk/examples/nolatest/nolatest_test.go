package nolatest_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

func podReview(op, namespace string, images ...string) *abi.AdmissionReview {
	var containers []string
	for i, image := range images {
		containers = append(containers, `{"name":"c`+string(rune('0'+i))+`","image":"`+image+`"}`)
	}
	return abi.NewAdmissionReview(&abi.AdmissionRequest{
		UID: "uid-1", Kind: abi.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource: abi.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: namespace, Name: "p", Operation: op,
		Object: json.RawMessage(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[` + strings.Join(containers, ",") + `]}}`),
	})
}

func cases() []pluginkit.Case {
	deployment := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "uid-2", Operation: "CREATE",
		Resource: abi.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
		Object:   json.RawMessage(`{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"nginx"}]}}}}`)})
	withInit := podReview("CREATE", "default", "nginx:1.27")
	withInit.Request.Object = json.RawMessage(`{"spec":{"initContainers":[{"name":"setup","image":"busybox"}],"containers":[{"name":"app","image":"nginx:1.27"}]}}`)
	odd := func(spec string) *abi.AdmissionReview {
		r := podReview("CREATE", "default")
		r.Request.Object = json.RawMessage(`{"spec":` + spec + `}`)
		return r
	}
	return []pluginkit.Case{
		{Name: "null containers", Review: odd(`{"containers":null}`), Want: pluginkit.Want{Allowed: true}},
		{Name: "null container", Review: odd(`{"containers":[{"name":"a","image":"a:1"},null]}`), Want: pluginkit.Want{Message: `container "" image ""`}},
		{Name: "containers not a list", Review: odd(`{"containers":"x"}`), Want: pluginkit.Want{Err: "decoding pod"}},
		{Name: "pinned tag", Review: podReview("CREATE", "default", "nginx:1.27"), Want: pluginkit.Want{Allowed: true}},
		{Name: "digest", Review: podReview("CREATE", "default", "nginx@sha256:0123abcd"), Want: pluginkit.Want{Allowed: true}},
		{Name: "registry port is not a tag", Review: podReview("CREATE", "default", "registry.local:5000/team/app"),
			Want: pluginkit.Want{Message: `container "c0" image "registry.local:5000/team/app"`}},
		{Name: "no tag", Review: podReview("CREATE", "default", "nginx"),
			Want: pluginkit.Want{Message: `images must be pinned to a tag other than latest or to a digest: container "c0" image "nginx"`}},
		{Name: "latest among pinned", Review: podReview("UPDATE", "default", "nginx:1.27", "redis:latest"),
			Want: pluginkit.Want{Message: `container "c1" image "redis:latest"`}},
		{Name: "init container", Review: withInit, Want: pluginkit.Want{Message: `container "setup" image "busybox"`}},
		{Name: "exempt namespace", Review: podReview("CREATE", "kube-system", "nginx"), Want: pluginkit.Want{Allowed: true}},
		{Name: "delete is not checked", Review: podReview("DELETE", "default", "nginx"), Want: pluginkit.Want{Allowed: true}},
		{Name: "other resources are not checked", Review: deployment, Want: pluginkit.Want{Allowed: true}},
		{Name: "escaped image, containers before init containers", Review: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"k","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"UPDATE","namespace":"default","userInfo":{},"object":{"spec":{"containers":[{"image":"app\u003alatest","name":"app"},{"name":"ok","image":"ok:1"}],"initContainers":[{"name":"init","image":"busybox"}]}}}}`,
			Want: pluginkit.Want{Message: `container "init" image "busybox", container "app" image "app:latest"`}},
		{Name: "review as JSON", Review: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"j","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE","userInfo":{},"object":{"spec":{"containers":[{"name":"x","image":"x:latest"}]}}}}`,
			Want: pluginkit.Want{Message: `container "x" image "x:latest"`}},
	}
}

// TestNoLatest runs one case table natively and as a Wasm guest, sent the whole review, the
// projection of nolatest.Reads, and their fields table (as make examples' manifest declares);
// the kit also checks that every mode answers the same, which covers the guest's raw-JSON and
// fields paths against the decoded one, and the reads against what the policy reads.
func TestNoLatest(t *testing.T) {
	spec := pluginkit.Spec{Name: "no-latest", Kind: abi.KindValidatingAdmission, Config: `{"exemptNamespaces":["kube-system"]}`}
	withReads := spec
	withReads.Reads = nolatest.Reads
	withFields := withReads
	withFields.Input = pluginapi.InputFields
	build := func(t testing.TB) []byte { return pluginkit.BuildGoGuest(t, "./wasm") }
	pluginkit.Run(t, cases(), pluginkit.Native(spec, &nolatest.Plugin{}), pluginkit.Wasm(spec, "./wasm"),
		pluginkit.WasmModule(withReads, "wasm+reads", build), pluginkit.WasmModule(withFields, "wasm+fields", build))
}

// TestValidateRawAllocatesNothing pins what makes the Wasm guest cheap: an allowed pod (the
// benchmarks' typical review) is read without an allocation.
func TestValidateRawAllocatesNothing(t *testing.T) {
	review, err := os.ReadFile("../../../host/wasm/testdata/pod-review.json")
	if err != nil {
		t.Fatal(err)
	}
	p := &nolatest.Plugin{}
	if err := p.Provision(t.Context(), []byte(`{"exemptNamespaces":["kube-system"]}`), nil); err != nil {
		t.Fatal(err)
	}
	var resp abi.AdmissionResponse
	allocs := testing.AllocsPerRun(100, func() { resp, err = p.ValidateRaw(t.Context(), review) })
	if err != nil || !resp.Allowed {
		t.Fatalf("ValidateRaw = %+v, %v; want allowed", resp, err)
	}
	if allocs != 0 {
		t.Errorf("ValidateRaw allocates %v times for an allowed pod, want 0", allocs)
	}
}

func TestFloating(t *testing.T) {
	for image, want := range map[string]bool{
		"nginx": true, "nginx:latest": true, "nginx:": true, "nginx:1": false, "a/b/c:v2": false,
		"host:5000/a": true, "host:5000/a:latest": true, "host:5000/a:1.0": false, "a@sha256:ff": false,
	} {
		if got := nolatest.Floating(image); got != want {
			t.Errorf("Floating(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestConfigIsStrict(t *testing.T) {
	p := &nolatest.Plugin{}
	if err := p.Provision(t.Context(), []byte(`{"exemptNamespace":["x"]}`), nil); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("misspelt field: %v", err)
	}
}
