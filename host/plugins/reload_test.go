package plugins

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/health"
)

// reloadFixture is a plugin directory with no-latest in it, loaded, and a review that no-latest
// allows but denymarker (the WAT guest, also a validating plugin) denies.
type reloadFixture struct {
	dir, examples string
	set           *Set
	reg           *prometheus.Registry
	plugin        abi.ValidatingAdmission
	review        func() *abi.AdmissionReview
}

func newReloadFixture(t *testing.T) *reloadFixture {
	t.Helper()
	examples, _ := buildAll(t)
	f := &reloadFixture{dir: t.TempDir(), examples: examples, reg: prometheus.NewRegistry()}
	copyFolder(t, filepath.Join(examples, "no-latest"), f.dir, "no-latest")
	cfg := &Configuration{APIVersion: APIVersion, Kind: Kind, Admission: []Entry{{Name: "no-latest", Source: SourceWasm}}}
	s, err := Load(context.Background(), cfg, Options{Dir: f.dir, CacheDir: t.TempDir(), Registerer: f.reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	f.set, f.plugin = s, s.Chains().Admission[0].Validating
	f.review = func() *abi.AdmissionReview { return podReview("ns", "nginx:1.27", `,"labels":{"mark":"kapi-deny"}`) }
	return f
}

// failures reads kapi_plugin_reload_failures_total{plugin="no-latest"} from the registry.
func (f *reloadFixture) failures(t *testing.T) float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "kapi_plugin_reload_failures_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "plugin" && l.GetValue() == "no-latest" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// poll runs the watcher's two polls a change needs (seen, then seen unchanged).
func (f *reloadFixture) poll() {
	f.set.Poll(context.Background())
	f.set.Poll(context.Background())
}

func (f *reloadFixture) allowed(t *testing.T) bool {
	t.Helper()
	resp, err := f.plugin.Validate(context.Background(), f.review())
	if err != nil {
		t.Fatalf("call failed: %v", err)
	}
	return resp.Allowed
}

// A changed module is swapped in while calls keep coming: none fails, and the new behaviour is
// seen after the swap.
func TestHotReloadSwapsWithoutFailingACall(t *testing.T) {
	f := newReloadFixture(t)
	if !f.allowed(t) {
		t.Fatal("no-latest should allow a tagged image")
	}
	tr := startTraffic(func() error {
		_, err := f.plugin.Validate(context.Background(), f.review())
		return err
	})
	// Let the callers run on the old version, then replace the module under them.
	for tr.calls.Load() < 50 {
		f.allowed(t)
	}
	// denymarker takes no config: its manifest comes along.
	copyFolder(t, filepath.Join(f.examples, "denymarker"), f.dir, "no-latest")
	f.poll()
	before := tr.calls.Load()
	for tr.calls.Load() < before+50 {
		f.allowed(t)
	}
	tr.stopAndCheck(t, "the swap")
	if f.allowed(t) {
		t.Fatalf("after the swap the new module (denymarker) should deny the marked pod (reload error: %v)", f.set.ReloadError())
	}
	if err := f.set.ReloadError(); err != nil {
		t.Fatalf("reload error after a good reload: %v", err)
	}
}

// A broken replacement leaves the old version serving and says why: the metric and the
// informational readyz check, which does not make readyz fail. Fixing it clears the check.
func TestBrokenReloadKeepsTheOldVersion(t *testing.T) {
	manifest := func(f *reloadFixture) string { return filepath.Join(f.dir, "no-latest", ManifestFile) }
	module := func(f *reloadFixture) string { return filepath.Join(f.dir, "no-latest", "plugin.wasm") }
	edit := func(t *testing.T, path, from, to string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, []byte(strings.Replace(string(b), from, to, 1)), 0o644)
	}
	cases := []struct {
		name   string
		break_ func(t *testing.T, f *reloadFixture)
		want   string
	}{
		{"garbage module", func(t *testing.T, f *reloadFixture) { writeFile(t, module(f), []byte("\x00asm garbage"), 0o644) }, "compiling"},
		{"bad manifest", func(t *testing.T, f *reloadFixture) { edit(t, manifest(f), "entry:", "entyr:") }, `unknown field "entyr"`},
		{"unknown ABI major", func(t *testing.T, f *reloadFixture) {
			edit(t, manifest(f), `abiVersion: "`+abi.Version+`"`, `abiVersion: "2.0"`)
		}, "abiVersion"},
		{"kind changed", func(t *testing.T, f *reloadFixture) {
			edit(t, manifest(f), "kind: ValidatingAdmission", "kind: MutatingAdmission")
		}, "a kind changes only with a restart"},
		{"config the plugin refuses", func(t *testing.T, f *reloadFixture) {
			edit(t, manifest(f), "config: {exemptNamespaces: [kube-system]}", "config: {exemptNamespaces: 3}")
		}, "no-latest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newReloadFixture(t)
			good := map[string][]byte{}
			for _, p := range []string{manifest(f), module(f)} {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				good[p] = b
			}
			c.break_(t, f)
			f.poll()
			if !f.allowed(t) {
				t.Fatal("the old version should still serve after a broken reload")
			}
			if got := f.failures(t); got != 1 {
				t.Errorf("kapi_plugin_reload_failures_total{plugin=no-latest} = %v, want 1", got)
			}
			if err := f.set.ReloadError(); err == nil || !strings.Contains(err.Error(), `plugin "no-latest": `) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("reload error %v, want one naming the plugin and containing %q", err, c.want)
			}
			readyz := health.NewEndpoint("readyz", health.Ping, f.set.ReadyzCheck())
			rec := httptest.NewRecorder()
			readyz.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `[-]plugin-reload failed: plugin "no-latest": `) {
				t.Errorf("/readyz?verbose: %d %q, want 200 with the reload failure", rec.Code, rec.Body.String())
			}
			// Polls without a further change do not retry or count again.
			f.poll()
			if got := f.failures(t); got != 1 {
				t.Errorf("failures after polls without a change = %v, want 1", got)
			}
			for p, b := range good {
				writeFile(t, p, b, 0o644)
			}
			f.poll()
			if err := f.set.ReloadError(); err != nil {
				t.Errorf("reload error after the fix: %v", err)
			}
			if !f.allowed(t) {
				t.Error("the fixed version should allow a tagged image")
			}
		})
	}
}

// Watch itself notices a replaced plugin and swaps it in; it stops with its context.
func TestWatchReloadsAChangedPlugin(t *testing.T) {
	f := newReloadFixture(t)
	f.set.opts.PollInterval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.set.Watch(ctx) }()
	defer func() { cancel(); <-done }()
	if !f.allowed(t) {
		t.Fatal("no-latest should allow a tagged image")
	}
	copyFolder(t, filepath.Join(f.examples, "denymarker"), f.dir, "no-latest")
	for f.allowed(t) {
		runtime.Gosched()
	}
}

// A process plugin reloads the same way: a new process with the new manifest's config starts
// beside the old one, which stops once swapped out.
func TestHotReloadProcessPlugin(t *testing.T) {
	examples, _ := buildAll(t)
	dir := t.TempDir()
	copyFolder(t, filepath.Join(examples, "ownerauthz"), dir, "ownerauthz")
	cfg := &Configuration{APIVersion: APIVersion, Kind: Kind, Authorizers: []Entry{{Name: "ownerauthz", Source: SourceProcess}}}
	s, err := Load(context.Background(), cfg, Options{Dir: dir, Reader: fixtures(), Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	denied := func() bool {
		st, err := s.Chains().Authorizers[0].Authorizer.Authorize(context.Background(), abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice",
			ResourceAttributes: &abi.ResourceAttributes{Namespace: "bobs", Verb: "create", Version: "v1", Resource: "configmaps"}}))
		if err != nil {
			t.Fatalf("authorize: %v", err)
		}
		return st.Denied
	}
	if !denied() {
		t.Fatal("ownerauthz should deny alice in bob's namespace")
	}
	path := filepath.Join(dir, "ownerauthz", ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, []byte(strings.Replace(string(b), "label: owner", "label: team", 1)), 0o644)
	s.Poll(context.Background())
	s.Poll(context.Background())
	if err := s.ReloadError(); err != nil {
		t.Fatal(err)
	}
	if denied() {
		t.Fatal("after the reload ownerauthz reads the team label, which bob's namespace lacks: no opinion")
	}
}
