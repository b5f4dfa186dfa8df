package wasm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/examples/defaultlabel"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// BenchmarkCreateThreePlugins is the admission work of one create in the three-plugin load
// benchmark (e2e/loadbench -plugins=3), in one process: the admission chain's Mutate and Validate
// on a small ConfigMap, with the plugins the server loads there (default-label, then no-latest
// twice, Go guests behind their failure policies, sent their reads as JSON or as fields tables,
// and the mix of two Go guests and the AssemblyScript no-latest), "warm" (back to back) and
// "cold" (after 16 MiB of other memory traffic, as between two creates in a busy server). Its
// median is what the plugins cost a create, without the load benchmark's noise.
//
//	go test -run '^$' -bench CreateThreePlugins -benchtime 3000x -count 3 ./host/wasm/
func BenchmarkCreateThreePlugins(b *testing.B) {
	r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	guarded := func(yaml string, module []byte) abi.Plugin {
		m := manifest(b, yaml)
		g, err := pluginapi.WithFailurePolicy(m, pluginapi.ModeWasm, load(b, r, m, module, nil), nil, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		return g
	}
	readsOf := func(reads []string) string {
		s, _ := json.Marshal(reads)
		return string(s)
	}
	labelModule := pluginkit.BuildGoGuest(b, "../../sdk/examples/defaultlabel/wasm")
	noLatestModule := pluginkit.BuildGoGuest(b, "../../sdk/examples/nolatest/wasm")
	asModule := buildASGuest(b)
	// chain is the three plugins sent their reads as input (json: the projection; fields: the
	// fields table, as make examples' manifests say; fields+as: the second no-latest is the
	// AssemblyScript guest, sent JSON, a guest without Go's runtime).
	chain := func(variant string) *admission.Chain {
		input, _, _ := strings.Cut(variant, "+")
		labeller := guarded("{name: default-label, kind: MutatingAdmission, abiVersion: '1.2', entry: p.wasm, failurePolicy: Ignore, "+
			"config: {key: team, value: unassigned}, input: "+input+", reads: "+readsOf(defaultlabel.Reads)+"}", labelModule)
		var validating []admission.Validating
		for _, name := range []string{"no-latest", "no-latest-2"} {
			module, in := noLatestModule, input
			if name == "no-latest-2" && variant == "fields+as" {
				module, in = asModule, "json"
			}
			p := guarded("{name: "+name+", kind: ValidatingAdmission, abiVersion: '1.2', entry: p.wasm, input: "+in+", "+
				"reads: "+readsOf(nolatest.Reads)+"}", module)
			validating = append(validating, admission.Validating{Name: name, Plugin: p.(abi.ValidatingAdmission)})
		}
		return admission.NewNamedChain([]admission.Mutating{{Name: "default-label", Plugin: labeller.(abi.MutatingAdmission)}}, validating)
	}
	ctx := context.Background()
	other := make([]byte, 16<<20)
	for _, variant := range []string{"json", "fields", "fields+as"} {
		chain := chain(variant)
		input := variant
		for _, cold := range []bool{false, true} {
			name := input + "/warm"
			if cold {
				name = input + "/cold"
			}
			b.Run(name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					if cold {
						for j := 0; j < len(other); j += 64 {
							other[j]++
						}
					}
					a := configMapCreate(i)
					i++
					start := time.Now()
					obj, err := chain.Mutate(ctx, a)
					if err == nil {
						a.Object = obj
						err = chain.Validate(ctx, a)
					}
					lat = append(lat, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					if obj.(*corev1.ConfigMap).Labels["team"] != "unassigned" {
						b.Fatalf("default-label did not label the configmap: %v", obj.(*corev1.ConfigMap).Labels)
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "median-ns")
			})
		}
	}
}

// configMapCreate is the admission request of the load benchmark's i-th create: a small
// ConfigMap with one label and one data key, as the store has it after its create defaults.
func configMapCreate(i int) *admission.Attributes {
	name := fmt.Sprintf("c-%d", i)
	now := metav1.NewTime(time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC))
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench", Labels: map[string]string{"app": "loadbench"},
			UID: "0f3a6c1e-7d2b-4f5e-9a8b-1c2d3e4f5a6b", CreationTimestamp: now,
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "loadbench", Operation: metav1.ManagedFieldsOperationUpdate,
				APIVersion: "v1", Time: &now, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{".":{},"f:k":{}}}`)}}}},
		Data: map[string]string{"k": "0123456789abcdef0123456789abcdef0123456789abcdef"},
	}
	return &admission.Attributes{
		Kind:      corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		Resource:  corev1.SchemeGroupVersion.WithResource("configmaps"),
		Name:      name,
		Namespace: "bench",
		Operation: admission.Create,
		Object:    cm,
		Options:   &metav1.CreateOptions{},
		New:       func() runtime.Object { return &corev1.ConfigMap{} },
	}
}
