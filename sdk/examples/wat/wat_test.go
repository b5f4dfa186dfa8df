package wat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// equivalent is the WAT guest's policy in Go, so that the kit can check both give the same
// answers.
type equivalent struct{}

func (equivalent) Provision(context.Context, []byte, abi.Host) error { return nil }
func (equivalent) Close() error                                      { return nil }

func (equivalent) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	b, err := r.Encoded()
	if err != nil {
		return abi.AdmissionResponse{}, err
	}
	if bytes.Contains(b, []byte("kapi-deny")) {
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: false, Result: &abi.Status{Status: "Failure",
			Message: "denied by the WAT guest: the object carries the kapi-deny marker", Reason: "Forbidden", Code: 403}}, nil
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func review(object string) *abi.AdmissionReview {
	return abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "u-1", Operation: "CREATE",
		Kind: abi.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Resource: abi.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Object: json.RawMessage(object)})
}

// TestWATGuest needs wat2wasm (Debian package wabt). It is never skipped: without the tool it
// fails and says what to install.
func TestWATGuest(t *testing.T) {
	big := `{"data":{"blob":"` + string(bytes.Repeat([]byte("x"), 200000)) + `kapi-deny"}}`
	cases := []pluginkit.Case{
		{Name: "plain object", Review: review(`{"metadata":{"name":"a"}}`), Want: pluginkit.Want{Allowed: true}},
		{Name: "marker in a label", Review: review(`{"metadata":{"labels":{"x":"kapi-deny"}}}`),
			Want: pluginkit.Want{Message: "kapi-deny marker"}},
		{Name: "marker at the very end of a large request", Review: review(big), Want: pluginkit.Want{Message: "kapi-deny marker"}},
		{Name: "almost the marker", Review: review(`{"data":{"a":"kapi-denx kapi-den"}}`), Want: pluginkit.Want{Allowed: true}},
	}
	spec := pluginkit.Spec{Name: "deny-marker", Kind: abi.KindValidatingAdmission}
	pluginkit.Run(t, cases,
		pluginkit.Native(spec, equivalent{}),
		pluginkit.WasmModule(spec, "wat", func(t testing.TB) []byte { return pluginkit.AssembleWAT(t, "denymarker.wat") }))
}
