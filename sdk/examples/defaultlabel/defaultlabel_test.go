package defaultlabel_test

import (
	"encoding/json"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/sdk/examples/defaultlabel"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

func review(op, object string) *abi.AdmissionReview {
	return abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "u", Operation: op,
		Kind: abi.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Resource: abi.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Object: json.RawMessage(object)})
}

func subresource(r *abi.AdmissionReview) *abi.AdmissionReview {
	r.Request.SubResource = "status"
	return r
}

func TestDefaultLabel(t *testing.T) {
	cases := []pluginkit.Case{
		{Name: "no labels", Review: review("CREATE", `{"metadata":{"name":"a"}}`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata/labels","value":{"owner/team":"none"}}]`}},
		{Name: "other labels", Review: review("UPDATE", `{"metadata":{"name":"a","labels":{"app":"x"}}}`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata/labels/owner~1team","value":"none"}]`}},
		{Name: "label present", Review: review("CREATE", `{"metadata":{"labels":{"owner/team":"shop"}}}`),
			Want: pluginkit.Want{Allowed: true}},
		{Name: "no metadata", Review: review("CREATE", `{"data":{}}`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata","value":{"labels":{"owner/team":"none"}}}]`}},
		{Name: "delete untouched", Review: review("DELETE", `{"metadata":{}}`), Want: pluginkit.Want{Allowed: true}},
		{Name: "null metadata", Review: review("CREATE", `{"metadata":null}`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata","value":{"labels":{"owner/team":"none"}}}]`}},
		{Name: "null labels", Review: review("CREATE", `{"metadata":{"labels":null,"name":"a"}}`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata/labels","value":{"owner/team":"none"}}]`}},
		{Name: "null object", Review: review("CREATE", `null`),
			Want: pluginkit.Want{Allowed: true, Patch: `[{"op":"add","path":"/metadata","value":{"labels":{"owner/team":"none"}}}]`}},
		{Name: "subresource untouched", Review: subresource(review("UPDATE", `{"metadata":{}}`)), Want: pluginkit.Want{Allowed: true}},
		{Name: "object not JSON object", Review: review("CREATE", `[1]`), Want: pluginkit.Want{Err: "decoding object"}},
		{Name: "metadata not JSON object", Review: review("CREATE", `{"metadata":5}`), Want: pluginkit.Want{Err: "decoding object"}},
		{Name: "labels not JSON object", Review: review("CREATE", `{"metadata":{"labels":[1]}}`), Want: pluginkit.Want{Err: "decoding object"}},
	}
	spec := pluginkit.Spec{Name: "default-label", Kind: abi.KindMutatingAdmission, Config: `{"key":"owner/team","value":"none"}`, Reads: defaultlabel.Reads}
	withFields := spec
	withFields.Input = pluginapi.InputFields
	pluginkit.Run(t, cases, pluginkit.Native(spec, &defaultlabel.Plugin{}), pluginkit.Wasm(spec, "./wasm"),
		pluginkit.WasmModule(withFields, "wasm+fields", func(t testing.TB) []byte { return pluginkit.BuildGoGuest(t, "./wasm") }))
}
