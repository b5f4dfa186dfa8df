package nolatest_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// asGuest is the AssemblyScript guest (./as), built once per test binary.
var asGuest struct {
	once   sync.Once
	module []byte
	err    string
}

// buildASGuest installs the pinned compiler (npm ci) and compiles ./as with asc. It needs node
// and npm (Debian packages nodejs and npm); their absence fails the test, it is never skipped,
// so that CI cannot pass without running a guest that has no Go runtime.
func buildASGuest(t testing.TB) []byte {
	t.Helper()
	asGuest.once.Do(func() {
		for _, tool := range []string{"node", "npm", "npx"} {
			if _, err := exec.LookPath(tool); err != nil {
				asGuest.err = tool + " not found (" + err.Error() + "): install Debian's nodejs and npm packages (apt-get install -y nodejs npm) to build the AssemblyScript guest in ./as"
				return
			}
		}
		out, err := os.MkdirTemp("", "nolatest-as-")
		if err != nil {
			asGuest.err = err.Error()
			return
		}
		defer os.RemoveAll(out)
		wasmFile := filepath.Join(out, "nolatest.wasm")
		for _, args := range [][]string{
			{"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"},
			{"npx", "asc", "assembly/index.ts", "--config", "asconfig.json", "--target", "release", "--outFile", wasmFile},
		} {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = "as"
			if msg, err := cmd.CombinedOutput(); err != nil {
				asGuest.err = strings.Join(args, " ") + ": " + err.Error() + "\n" + string(msg)
				return
			}
		}
		if asGuest.module, err = os.ReadFile(wasmFile); err != nil {
			asGuest.err = err.Error()
		}
	})
	if asGuest.err != "" {
		t.Fatal(asGuest.err)
	}
	return asGuest.module
}

// asCases are cases that exercise the AssemblyScript guest's own JSON reading and Go quoting.
func asCases() []pluginkit.Case {
	odd := podReview("CREATE", "default", "nginx")
	odd.Request.Object = []byte(`{"spec":{"containers":[{"name":"we\"ird\\ñ\u0007\u00a0","image":"caf\u00e9/x\t:latest"},{"name":"n","image":null},null,{"image":"ok:1"}]}}`)
	nullArrays := podReview("CREATE", "default")
	nullArrays.Request.Object = []byte(`{"spec":{"initContainers":null,"containers":[]}}`)
	subresource := podReview("UPDATE", "default", "nginx")
	subresource.Request.SubResource = "status"
	var containers []string
	for i := range 500 {
		containers = append(containers, fmt.Sprintf(`{"name":"c%d","image":"busybox"}`, i))
	}
	large := podReview("CREATE", "default")
	large.Request.Object = []byte(`{"metadata":{"annotations":{"blob":"` + strings.Repeat("x", 300000) + `"}},"spec":{"containers":[` +
		strings.Join(containers, ",") + `]}}`)
	return []pluginkit.Case{
		{Name: "tags as Floating reads them", Review: podReview("CREATE", "default", "nginx:", "a/b/c:v2", "host:5000/a", "host:5000/a:latest", "host:5000/a:1.0", "a@sha256:ff", "x:1:latest", "h:1/latest"),
			Want: pluginkit.Want{Message: `: container "c0" image "nginx:", container "c2" image "host:5000/a", container "c3" image "host:5000/a:latest", container "c7" image "h:1/latest"`}},
		{Name: "large review and answer: memory grows", Review: large, Want: pluginkit.Want{Message: `container "c498" image "busybox", container "c499" image "busybox"`}},
		{Name: "quoting as Go's %q", Review: odd, Want: pluginkit.Want{
			Message: `container "we\"ird\\ñ\a\u00a0" image "café/x\t:latest", container "n" image "", container "" image ""`}},
		{Name: "null and empty arrays", Review: nullArrays, Want: pluginkit.Want{Allowed: true}},
		{Name: "subresource is not checked", Review: subresource, Want: pluginkit.Want{Allowed: true}},
		{Name: "escaped namespace is exempt", Review: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"e","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"kube-\u0073ystem","operation":"CREATE","userInfo":{},"object":{"spec":{"containers":[{"name":"x","image":"x"}]}}}}`,
			Want: pluginkit.Want{Allowed: true}},
	}
}

// TestNoLatestAS runs the case table natively and as the AssemblyScript guest, sent the
// projection of nolatest.Reads as its manifest would declare and, to check its reading of
// everything else, the whole review.
func TestNoLatestAS(t *testing.T) {
	spec := pluginkit.Spec{Name: "no-latest", Kind: abi.KindValidatingAdmission, Config: `{"exemptNamespaces":["kube-system"]}`}
	withReads := spec
	withReads.Reads = nolatest.Reads
	pluginkit.Run(t, append(cases(), asCases()...),
		pluginkit.Native(spec, &nolatest.Plugin{}),
		pluginkit.WasmModule(withReads, "assemblyscript+reads", buildASGuest),
		pluginkit.WasmModule(spec, "assemblyscript", buildASGuest))
}

// TestNoLatestASConfig checks that the guest decodes its configuration as Provision does.
func TestNoLatestASConfig(t *testing.T) {
	module := buildASGuest(t)
	ctx := context.Background()
	r, err := wasm.NewRuntime(ctx, wasm.RuntimeConfig{CacheDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, c := range []struct{ config, err string }{
		{`{"exemptNamespace":["x"]}`, `unknown field "exemptNamespace"`},
		{`{"exemptNamespaces":"x"}`, "array of strings"},
		{`{"exemptNamespaces":[1]}`, "array of strings"},
		{`[]`, "not a JSON object"},
		{`{"ExemptNamespaces":["x"],"exemptNamespaces":null}`, ""},
		{`{"exemptNamespaces":["a","b\u0063",null]}`, ""},
	} {
		native := (&nolatest.Plugin{}).Provision(ctx, []byte(c.config), nil)
		m := &pluginapi.Manifest{Name: "no-latest", Kind: abi.KindValidatingAdmission, ABIVersion: abi.Version,
			Entry: "plugin", Config: []byte(c.config), Reads: nolatest.Reads}
		m.SetDefaults()
		p, err := r.Load(ctx, m, module, nil)
		if err == nil {
			_ = p.Close()
		}
		if c.err == "" {
			if err != nil || native != nil {
				t.Errorf("config %s: guest %v, native %v; want both accepted", c.config, err, native)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || native == nil {
			t.Errorf("config %s: guest %v, native %v; want both refused, the guest with %q", c.config, err, native, c.err)
		}
	}
}
