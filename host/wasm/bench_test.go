package wasm_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// podReview decodes testdata/pod-review.json, a typical Pod AdmissionReview (about 4 KB: a
// Deployment's pod with two containers, probes, env, volumes and managedFields).
func typicalPodReview(b testing.TB) []byte {
	b.Helper()
	raw, err := os.ReadFile("testdata/pod-review.json")
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkAdmitPod measures one validating admission call on a typical Pod, with the nolatest
// example policy, natively and as a Wasm guest. Each iteration gets its own decoded review, as
// each request does. "wasm" has the review encoded beforehand, as the server encodes it once per
// request however many plugins see it, so it measures copying it into the guest, the guest's
// reading, the policy, encoding and decoding the answer; "+reads" has the manifest declare
// nolatest.Reads, so the host projects the review (abi/SPEC.md 2.1) and the guest gets ~370
// bytes instead of 4 KB; "+fields" has it also say input: fields, so the guest gets the values
// of its reads (2.2) and scans no JSON; "+encode" adds encoding the review.
//
//	go test -run '^$' -bench BenchmarkAdmitPod -benchmem ./host/wasm/
func BenchmarkAdmitPod(b *testing.B) {
	raw := typicalPodReview(b)
	newReview := func() *abi.AdmissionReview {
		var r abi.AdmissionReview
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		return &r
	}

	b.Run("native", func(b *testing.B) {
		p := &nolatest.Plugin{}
		if err := p.Provision(context.Background(), []byte("{}"), nil); err != nil {
			b.Fatal(err)
		}
		reviews := make([]*abi.AdmissionReview, b.N)
		for i := range reviews {
			reviews[i] = newReview()
		}
		measureValidate(b, p, reviews)
	})

	reads, _ := json.Marshal(nolatest.Reads)
	for _, v := range []struct {
		name     string
		encoded  bool
		manifest string
	}{
		{"wasm", true, ""},
		{"wasm+reads", true, ", reads: " + string(reads)},
		{"wasm+encode", false, ""},
		{"wasm+reads+encode", false, ", reads: " + string(reads)},
		{"wasm+fields", true, ", reads: " + string(reads) + ", input: fields"},
		{"wasm+fields+encode", false, ", reads: " + string(reads) + ", input: fields"},
	} {
		b.Run(v.name, func(b *testing.B) {
			module := pluginkit.BuildGoGuest(b, "../../sdk/examples/nolatest/wasm")
			r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
			p := load(b, r, manifest(b, "{name: nolatest, kind: ValidatingAdmission, abiVersion: '1.2', entry: n.wasm, limits: {instances: 1}"+v.manifest+"}"), module, nil)
			reviews := make([]*abi.AdmissionReview, b.N)
			for i := range reviews {
				reviews[i] = newReview()
				if v.encoded {
					_, _ = reviews[i].Encoded()
				}
			}
			measureValidate(b, p, reviews)
		})
	}
}

// BenchmarkCallOverhead measures a Wasm call whose guest does nothing: the fixed cost of the ABI
// (allocating and copying the request into the guest, entering the Go export, answering).
func BenchmarkCallOverhead(b *testing.B) {
	var review abi.AdmissionReview
	if err := json.Unmarshal(typicalPodReview(b), &review); err != nil {
		b.Fatal(err)
	}
	_, _ = review.Encoded()
	module := pluginkit.BuildGoGuest(b, "testdata/guests/noop")
	r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	p := load(b, r, manifest(b, "{name: noop, kind: ValidatingAdmission, abiVersion: '1.0', entry: n.wasm, limits: {instances: 1}}"), module, nil)
	reviews := make([]*abi.AdmissionReview, b.N)
	for i := range reviews {
		reviews[i] = &review
	}
	measureValidate(b, p, reviews)
}

// measureValidate makes b.N validating calls, the i-th on reviews[i], each of which must be
// allowed, and adds the median call latency to the results: the mean (ns/op) of a Wasm guest
// includes its occasional garbage collections, the median is the typical call.
func measureValidate(b *testing.B, v abi.ValidatingAdmission, reviews []*abi.AdmissionReview) {
	b.ReportAllocs()
	b.ResetTimer()
	lat := make([]time.Duration, b.N)
	for i := range b.N {
		start := time.Now()
		resp, err := v.Validate(context.Background(), reviews[i])
		lat[i] = time.Since(start)
		if err != nil || !resp.Allowed {
			b.Fatalf("%+v, %v", resp, err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "median-ns")
}

// BenchmarkAdmitColdCache is the call the server makes most in the three-plugin create
// benchmark (e2e/loadbench -plugins=3): no-latest, with its reads, on a small ConfigMap's review,
// and the ABI's fixed cost (a guest that does nothing), each "warm" (called back to back, as the
// other benchmarks do) and "cold" (after 16 MiB of other memory traffic, as between two calls
// in a busy server). The cold medians are what a call costs the server.
func BenchmarkAdmitColdCache(b *testing.B) {
	review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "705ab4f5-6393-11e8-b7cc-42010a800002",
		Operation: "CREATE", Namespace: "bench", Name: "c-1",
		Kind: abi.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Resource: abi.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Object: json.RawMessage(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c-1","namespace":"bench",` +
			`"uid":"0f3a6c1e-7d2b-4f5e-9a8b-1c2d3e4f5a6b","creationTimestamp":"2026-11-23T17:00:00Z","managedFields":[{"manager":"loadbench",` +
			`"operation":"Update","apiVersion":"v1","time":"2026-11-23T17:00:00Z","fieldsType":"FieldsV1",` +
			`"fieldsV1":{"f:data":{".":{},"f:k":{}}}}]},"data":{"k":"0123456789abcdef0123456789abcdef0123456789abcdef"}}`)})
	_, _ = review.Encoded()
	reads, _ := json.Marshal(nolatest.Reads)
	other := make([]byte, 16<<20)
	for _, g := range []struct{ name, dir, reads string }{
		{"noop", "testdata/guests/noop", ""},
		{"nolatest+reads", "../../sdk/examples/nolatest/wasm", ", reads: " + string(reads)},
	} {
		module := pluginkit.BuildGoGuest(b, g.dir)
		for _, cold := range []bool{false, true} {
			name := g.name + "/warm"
			if cold {
				name = g.name + "/cold"
			}
			b.Run(name, func(b *testing.B) {
				r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
				p := load(b, r, manifest(b, "{name: x, kind: ValidatingAdmission, abiVersion: '1.1', entry: n.wasm, limits: {instances: 1}"+g.reads+"}"), module, nil)
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					if cold {
						for i := 0; i < len(other); i += 64 {
							other[i]++
						}
					}
					start := time.Now()
					resp, err := p.Validate(context.Background(), review)
					lat = append(lat, time.Since(start))
					if err != nil || !resp.Allowed {
						b.Fatalf("%+v, %v", resp, err)
					}
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "median-ns")
			})
		}
	}
}
