package wasm_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
)

// BenchmarkAdmitPodAS is BenchmarkAdmitPod's call with the nolatest policy as the AssemblyScript
// guest (sdk/examples/nolatest/as): the same review, encoded beforehand, and the same policy in
// a guest with no Go runtime, so it shows what the ABI and the host cost without Go's Wasm port.
// "wasm+reads" declares nolatest.Reads, as the guest's manifest does; "wasm" sends the whole
// review. It needs node and npm (Debian packages nodejs and npm).
//
//	go test -run '^$' -bench 'AdmitPod' -benchmem -count 3 ./host/wasm/
func BenchmarkAdmitPodAS(b *testing.B) {
	raw := typicalPodReview(b)
	module := buildASGuest(b)
	reads, _ := json.Marshal(nolatest.Reads)
	for _, v := range []struct{ name, manifest string }{
		{"wasm", ""},
		{"wasm+reads", ", reads: " + string(reads)},
	} {
		b.Run(v.name, func(b *testing.B) {
			r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
			p := load(b, r, manifest(b, "{name: nolatest, kind: ValidatingAdmission, abiVersion: '1.1', entry: n.wasm, limits: {instances: 1}"+v.manifest+"}"), module, nil)
			reviews := make([]*abi.AdmissionReview, b.N)
			for i := range reviews {
				reviews[i] = new(abi.AdmissionReview)
				if err := json.Unmarshal(raw, reviews[i]); err != nil {
					b.Fatal(err)
				}
				_, _ = reviews[i].Encoded()
			}
			measureValidate(b, p, reviews)
		})
	}
}

// buildASGuest installs the guest's pinned compiler (npm ci) and compiles it with asc into a
// temporary directory. Without node or npm it fails, naming what to install.
func buildASGuest(b *testing.B) []byte {
	b.Helper()
	const dir = "../../sdk/examples/nolatest/as"
	out := filepath.Join(b.TempDir(), "nolatest.wasm")
	for _, args := range [][]string{
		{"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"},
		{"npx", "asc", "assembly/index.ts", "--config", "asconfig.json", "--target", "release", "--outFile", out},
	} {
		if _, err := exec.LookPath(args[0]); err != nil {
			b.Fatalf("%s not found (%v): install Debian's nodejs and npm packages to build %s", args[0], err, dir)
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, msg)
		}
	}
	module, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return module
}
