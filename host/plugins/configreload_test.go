package plugins

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/health"
)

// configFixture is a set started from a configuration file over a plugin directory holding
// no-latest, denymarker (both validating Wasm guests) and ownerauthz (a process authorizer).
type configFixture struct {
	dir, examples, file string
	set                 *Set
	reg                 *prometheus.Registry
}

const configHead = "apiVersion: kapi.dev/v1alpha1\nkind: PluginConfiguration\n"

func newConfigFixture(t *testing.T, config string) *configFixture {
	t.Helper()
	examples, _ := buildAll(t)
	f := &configFixture{dir: t.TempDir(), examples: examples, reg: prometheus.NewRegistry()}
	for _, name := range []string{"no-latest", "denymarker", "ownerauthz"} {
		copyFolder(t, filepath.Join(examples, name), f.dir, name)
	}
	f.file = filepath.Join(t.TempDir(), "kapi-plugins.yaml")
	writeFile(t, f.file, []byte(configHead+config), 0o644)
	s, err := Start(context.Background(), f.file, Flags{AuthorizationModes: []string{"AlwaysAllow"}},
		Options{Dir: f.dir, CacheDir: t.TempDir(), Reader: fixtures(), Registerer: f.reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	f.set = s
	return f
}

// rewrite replaces the configuration file and runs the two polls a change needs.
func (f *configFixture) rewrite(t *testing.T, config string) {
	t.Helper()
	writeFile(t, f.file, []byte(configHead+config), 0o644)
	f.set.Poll(context.Background())
	f.set.Poll(context.Background())
}

// reloads reads kapi_plugin_config_reloads_total{status}.
func (f *configFixture) reloads(t *testing.T, status string) float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "kapi_plugin_config_reloads_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			if m.GetLabel()[0].GetValue() == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// markedPod is a pod with a pinned image (no-latest allows it) carrying denymarker's marker.
func markedPod() *admission.Attributes {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "bobs", Labels: map[string]string{"mark": "kapi-deny"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	}
	return &admission.Attributes{
		Kind: corev1.SchemeGroupVersion.WithKind("Pod"), Resource: corev1.SchemeGroupVersion.WithResource("pods"),
		Name: "p", Namespace: "bobs", Operation: admission.Create, Object: pod,
		New: func() runtime.Object { return &corev1.Pod{} },
	}
}

// aliceInBobs asks whether alice may create a config map in bob's namespace: ownerauthz denies,
// AlwaysAllow allows.
func aliceInBobs() *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice",
		ResourceAttributes: &abi.ResourceAttributes{Namespace: "bobs", Verb: "create", Version: "v1", Resource: "configmaps"}})
}

// decisions calls the set's authorizer and admission once: whether alice is allowed, and the
// admission denial's message ("" when admitted). Any other outcome fails the test.
func (f *configFixture) decisions(t *testing.T) (allowed bool, denial string) {
	t.Helper()
	allowed, denial, err := f.call()
	if err != nil {
		t.Fatal(err)
	}
	return allowed, denial
}

// call is decisions without a test: an error is a failed call, not a decision.
func (f *configFixture) call() (allowed bool, denial string, err error) {
	ctx := context.Background()
	st, err := f.set.Authorizer().Authorize(ctx, aliceInBobs())
	if err != nil {
		return false, "", err
	}
	if err := f.set.Admission().Validate(ctx, markedPod()); err != nil {
		if !apierrors.IsForbidden(err) {
			return false, "", err
		}
		denial = err.Error()
	}
	return st.Allowed, denial, nil
}

const (
	configV1 = `authorizers:
- {name: AlwaysAllow, source: builtin}
admission:
- {name: no-latest, source: wasm}
`
	// configV2 adds a process authorizer ahead, and a validating plugin ahead of the one kept.
	configV2 = `authorizers:
- {name: ownerauthz, source: process}
- {name: AlwaysAllow, source: builtin}
admission:
- {name: denymarker, source: wasm}
- {name: no-latest, source: wasm}
`
)

// Changed configurations are swapped in, back and forth, while calls keep coming: none fails,
// each new configuration's decisions are seen after its swap, and an unchanged entry keeps its
// running plugin.
func TestConfigReloadSwapsChainsWithoutFailingACall(t *testing.T) {
	f := newConfigFixture(t, configV1)
	if allowed, denial := f.decisions(t); !allowed || denial != "" {
		t.Fatalf("v1: allowed %v, denial %q; want allowed and admitted", allowed, denial)
	}
	noLatest := f.set.Chains().Admission[0].Validating
	tr := startTraffic(func() error {
		_, _, err := f.call()
		return err
	})
	for round := range 3 {
		tr.waitCalls(20)
		f.rewrite(t, configV2)
		if err := f.set.ReloadError(); err != nil {
			t.Fatalf("round %d: v2: %v", round, err)
		}
		if allowed, denial := f.decisions(t); allowed || !strings.Contains(denial, "kapi-deny marker") {
			t.Fatalf("round %d: v2: allowed %v, denial %q; want ownerauthz's denial and denymarker's", round, allowed, denial)
		}
		if got := f.set.Chains().Admission[1].Validating; got != noLatest {
			t.Fatalf("round %d: no-latest's entry did not change, but its plugin was reloaded", round)
		}
		tr.waitCalls(20)
		f.rewrite(t, configV1)
		if allowed, denial := f.decisions(t); !allowed || denial != "" {
			t.Fatalf("round %d: back to v1: allowed %v, denial %q", round, allowed, denial)
		}
	}
	tr.waitCalls(20)
	tr.stopAndCheck(t, "the swaps")
	if got := f.reloads(t, "success"); got != 6 {
		t.Errorf("kapi_plugin_config_reloads_total{status=success} = %v, want 6", got)
	}
}

// A configuration that changes a plugin's config or failure policy reloads that plugin: a new
// process for ownerauthz reading another label.
func TestConfigReloadChangesAPluginsConfig(t *testing.T) {
	f := newConfigFixture(t, configV2)
	if allowed, _ := f.decisions(t); allowed {
		t.Fatal("ownerauthz (label owner) should deny alice in bob's namespace")
	}
	f.rewrite(t, strings.Replace(configV2, "{name: ownerauthz, source: process}", `{name: ownerauthz, source: process, config: {label: team}}`, 1))
	if err := f.set.ReloadError(); err != nil {
		t.Fatal(err)
	}
	if allowed, _ := f.decisions(t); !allowed {
		t.Fatal("ownerauthz reading the team label, which bob's namespace lacks, has no opinion: AlwaysAllow allows")
	}
}

// A bad file, or a good one with a plugin that fails to load, leaves the whole old configuration
// serving and says why three ways; polls without a change do not retry; a fix applies.
func TestBrokenConfigKeepsTheOldOne(t *testing.T) {
	cases := []struct {
		name, config, want string
	}{
		{"not YAML", "authorizers: [", "plugin configuration"},
		{"unknown field", "authorizer: []\n", `unknown field "authorizer"`},
		{"invalid entry", "admission:\n- {name: no-latest, source: wsam}\n", `admission[0].source: "wsam"`},
		{"missing folder", strings.Replace(configV2, "denymarker", "absent", 1), "admission[0] (absent): open"},
		{"kind does not fit", "authorizers:\n- {name: no-latest, source: wasm}\n", "authorizers[0] (no-latest): the manifest's kind is ValidatingAdmission"},
		{"config the plugin refuses", strings.Replace(configV2, "{name: no-latest, source: wasm}", "{name: no-latest, source: wasm, config: {exemptNamespaces: 3}}", 1), "admission[1] (no-latest)"},
		{"a process plugin of it fails", strings.Replace(configV2, "{name: ownerauthz, source: process}", "{name: ownerauthz, source: process, config: {nope: 1}}", 1), "authorizers[0] (ownerauthz)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newConfigFixture(t, configV1)
			f.rewrite(t, c.config)
			if allowed, denial := f.decisions(t); !allowed || denial != "" {
				t.Fatalf("the old configuration should serve: allowed %v, denial %q", allowed, denial)
			}
			if got := f.reloads(t, "failure"); got != 1 {
				t.Errorf("kapi_plugin_config_reloads_total{status=failure} = %v, want 1", got)
			}
			prefix := "plugin configuration " + f.file + ": "
			if err := f.set.ReloadError(); err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("reload error %v, want %q... containing %q", err, prefix, c.want)
			}
			readyz := health.NewEndpoint("readyz", health.Ping, f.set.ReadyzCheck())
			rec := httptest.NewRecorder()
			readyz.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz?verbose", nil))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "[-]plugin-reload failed: "+prefix) {
				t.Errorf("/readyz?verbose: %d %q, want 200 with the configuration's failure", rec.Code, rec.Body.String())
			}
			f.set.Poll(context.Background())
			f.set.Poll(context.Background())
			if got := f.reloads(t, "failure"); got != 1 {
				t.Errorf("failures after polls without a change = %v, want 1", got)
			}
			f.rewrite(t, configV2)
			if err := f.set.ReloadError(); err != nil {
				t.Fatalf("reload error after the fix: %v", err)
			}
			if allowed, denial := f.decisions(t); allowed || denial == "" {
				t.Errorf("after the fix v2 should serve: allowed %v, denial %q", allowed, denial)
			}
		})
	}
}

// A configuration naming a folder that is not there yet is applied once the folder appears,
// without another edit of the file.
func TestConfigWaitsForItsFolder(t *testing.T) {
	f := newConfigFixture(t, configV1)
	f.rewrite(t, strings.Replace(configV2, "denymarker", "late", 1))
	if err := f.set.ReloadError(); err == nil || !strings.Contains(err.Error(), "(late)") {
		t.Fatalf("reload error %v, want one naming the missing folder", err)
	}
	copyFolder(t, filepath.Join(f.examples, "denymarker"), f.dir, "late")
	f.set.Poll(context.Background())
	f.set.Poll(context.Background())
	if err := f.set.ReloadError(); err != nil {
		t.Fatalf("reload error once the folder is there: %v", err)
	}
	if _, denial := f.decisions(t); !strings.Contains(denial, "kapi-deny marker") {
		t.Fatalf("denial %q, want the late folder's (denymarker's)", denial)
	}
	if got := f.reloads(t, "success"); got != 1 {
		t.Errorf("kapi_plugin_config_reloads_total{status=success} = %v, want 1", got)
	}
}

// A plugin the new configuration drops is closed once its calls end, and its folder is no longer
// watched: a broken version of it put in later is not reported.
func TestConfigReloadDropsAPlugin(t *testing.T) {
	f := newConfigFixture(t, configV2)
	f.rewrite(t, configV1)
	if err := f.set.ReloadError(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.dir, "denymarker", "plugin.wasm"), []byte("\x00asm garbage"), 0o644)
	f.set.Poll(context.Background())
	f.set.Poll(context.Background())
	if err := f.set.ReloadError(); err != nil {
		t.Fatalf("a dropped plugin's folder was reloaded: %v", err)
	}
	if n := len(f.set.Chains().Admission); n != 1 {
		t.Fatalf("%d admission plugins, want 1", n)
	}
}

// Watch itself notices an edited configuration file.
func TestWatchReloadsTheConfigFile(t *testing.T) {
	f := newConfigFixture(t, configV1)
	f.set.opts.PollInterval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.set.Watch(ctx) }()
	defer func() { cancel(); <-done }()
	writeFile(t, f.file, []byte(configHead+configV2), 0o644)
	for {
		if allowed, _ := f.decisions(t); !allowed {
			break
		}
		time.Sleep(time.Millisecond)
	}
}

// The configuration file must exist and be valid at start: Start fails, naming the flag.
func TestStartNeedsAGoodFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(configHead+"admission: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{filepath.Join(dir, "absent.yaml"): "no such file", bad: "cannot unmarshal"} {
		_, err := Start(context.Background(), path, Flags{AuthorizationModes: []string{"AlwaysAllow"}}, Options{Logger: slog.New(slog.DiscardHandler)})
		if err == nil || !strings.HasPrefix(err.Error(), "--plugin-config: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("Start(%s): %v, want --plugin-config: ... %s", path, err, want)
		}
	}
}
