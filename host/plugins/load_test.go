package plugins

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

var namespaces = abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func fixtures() *pluginapi.FixtureReader {
	r := pluginapi.NewFixtureReader()
	r.Put(namespaces, "", "bobs", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bobs","labels":{"owner":"bob"}},"status":{"phase":"Active"}}`))
	r.Put(namespaces, "", "ending", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ending"},"status":{"phase":"Terminating"}}`))
	return r
}

func podReview(namespace, image string, labels string) *abi.AdmissionReview {
	return abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "uid-1", Operation: "CREATE", Namespace: namespace, Name: "p",
		Kind:     abi.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource: abi.GroupVersionResource{Version: "v1", Resource: "pods"},
		Object: []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"` + namespace + `"` + labels +
			`},"spec":{"containers":[{"name":"c","image":"` + image + `"}]}}`)})
}

func load(t *testing.T, dir string, cfg *Configuration) *Set {
	t.Helper()
	cfg.APIVersion, cfg.Kind = APIVersion, Kind
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Load(context.Background(), cfg, Options{Dir: dir, CacheDir: t.TempDir(), Reader: fixtures(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// The examples directory as `make examples` makes it: the Wasm admission plugins, the process
// authorizer and a built-in that reads objects, each called through the members the chain gets.
func TestLoadExamples(t *testing.T) {
	examples, _ := buildAll(t)
	cfg, err := ReadConfiguration(examples + "/kapi-plugins.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admission = append([]Entry{{Name: "NamespaceLifecycle", Source: SourceBuiltin}}, cfg.Admission...)
	s := load(t, examples, cfg)
	ctx := context.Background()

	if len(s.Chains().Authorizers) != 2 || s.Chains().Authorizers[0].Name != "ownerauthz" || s.Chains().Authorizers[1].Name != "AlwaysAllow" {
		t.Fatalf("authorizers %+v", s.Chains().Authorizers)
	}
	st, err := s.Chains().Authorizers[0].Authorizer.Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice",
		ResourceAttributes: &abi.ResourceAttributes{Namespace: "bobs", Verb: "create", Version: "v1", Resource: "configmaps"}}))
	if err != nil || !st.Denied || !strings.Contains(st.Reason, `belongs to "bob"`) {
		t.Errorf("ownerauthz on alice's write into bob's namespace: %+v, %v", st, err)
	}

	byName := map[string]Member{}
	for _, m := range s.Chains().Admission {
		byName[m.Name] = m
	}
	resp, err := byName["no-latest"].Validating.Validate(ctx, podReview("bobs", "nginx:latest", ""))
	if err != nil || resp.Allowed {
		t.Errorf("no-latest on nginx:latest: %+v, %v", resp, err)
	}
	resp, err = byName["no-latest"].Validating.Validate(ctx, podReview("bobs", "nginx:1.27", ""))
	if err != nil || !resp.Allowed {
		t.Errorf("no-latest on nginx:1.27: %+v, %v", resp, err)
	}
	resp, err = byName["default-label"].Mutating.Admit(ctx, podReview("bobs", "nginx:1.27", ""))
	if err != nil || !resp.Allowed || !strings.Contains(string(resp.Patch), `"team":"unassigned"`) {
		t.Errorf("default-label: %+v (patch %s), %v", resp, resp.Patch, err)
	}
	nl := byName["NamespaceLifecycle"]
	if nl.Mutating != nil || nl.Validating == nil {
		t.Fatalf("NamespaceLifecycle member %+v, want validating only", nl)
	}
	resp, err = nl.Validating.Validate(ctx, podReview("gone", "nginx:1.27", ""))
	if err != nil || resp.Allowed || resp.Result == nil || resp.Result.Code != 404 || resp.Result.Message != `namespaces "gone" not found` {
		t.Errorf("NamespaceLifecycle in a missing namespace: %+v, %v", resp.Result, err)
	}
	resp, err = nl.Validating.Validate(ctx, podReview("ending", "nginx:1.27", ""))
	if err != nil || resp.Allowed || resp.Result == nil || resp.Result.Code != 403 ||
		resp.Result.Message != `pods "p" is forbidden: unable to create new content in namespace ending because it is being terminated` {
		t.Errorf("NamespaceLifecycle in a terminating namespace: %+v, %v", resp.Result, err)
	}
}

// Every built-in's loadable forms, as `make plugins` builds them, load from a plugin directory
// and answer as the built-in does.
func TestLoadBuiltinsLoadableForms(t *testing.T) {
	_, builtins := buildAll(t)
	tokens := []byte(`{"tokens":"secret,alice,uid-1\n"}`)
	cfg := &Configuration{}
	for _, form := range []Source{SourceWasm, SourceProcess} {
		f := "-" + string(form)
		cfg.Authenticators = append(cfg.Authenticators, Entry{Name: "x509" + f, Source: form}, Entry{Name: "tokenfile" + f, Source: form, Config: tokens})
		cfg.Authorizers = append(cfg.Authorizers, Entry{Name: "alwaysdeny" + f, Source: form}, Entry{Name: "alwaysallow" + f, Source: form})
		cfg.Admission = append(cfg.Admission, Entry{Name: "namespacelifecycle" + f, Source: form})
	}
	s := load(t, builtins, cfg)
	ctx := context.Background()
	for _, m := range s.Chains().Authenticators {
		st, err := m.Authenticator.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "secret"}))
		want := strings.HasPrefix(m.Name, "tokenfile")
		if err != nil || st.Authenticated != want || (want && st.User.Username != "alice") {
			t.Errorf("%s: %+v, %v; want authenticated %v", m.Name, st, err, want)
		}
	}
	for _, m := range s.Chains().Authorizers {
		st, err := m.Authorizer.Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice",
			ResourceAttributes: &abi.ResourceAttributes{Verb: "get", Version: "v1", Resource: "pods"}}))
		want := strings.HasPrefix(m.Name, "alwaysallow")
		if err != nil || st.Allowed != want {
			t.Errorf("%s: %+v, %v; want allowed %v", m.Name, st, err, want)
		}
	}
	for _, m := range s.Chains().Admission {
		resp, err := m.Validating.Validate(ctx, podReview("ending", "nginx", ""))
		if err != nil || resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "because it is being terminated") {
			t.Errorf("%s: %+v, %v", m.Name, resp, err)
		}
	}
}

func TestLoadErrorsNameTheEntry(t *testing.T) {
	examples, _ := buildAll(t)
	for _, c := range []struct {
		cfg  Configuration
		want string
	}{
		{Configuration{Authorizers: []Entry{{Name: "no-latest", Source: SourceWasm}}}, "authorizers[0] (no-latest): the manifest's kind is ValidatingAdmission, not Authorizer"},
		{Configuration{Admission: []Entry{{Name: "ownerauthz", Source: SourceWasm}}}, "admission[0] (ownerauthz): source is wasm but the manifest's mode is process"},
		{Configuration{Admission: []Entry{{Name: "missing", Source: SourceWasm}}}, "admission[0] (missing): open"},
		{Configuration{Admission: []Entry{{Name: "AlwaysAllow", Source: SourceBuiltin}}}, `admission[0] (AlwaysAllow): plugin "AlwaysAllow" is not an admission plugin`},
		{Configuration{Authenticators: []Entry{{Name: "tokenfile", Source: SourceBuiltin, Config: []byte(`{"nope":1}`)}}}, `authenticators[0] (tokenfile): provisioning "tokenfile"`},
	} {
		c.cfg.APIVersion, c.cfg.Kind = APIVersion, Kind
		s, err := Load(context.Background(), &c.cfg, Options{Dir: examples, Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load: %v, want an error containing %q", err, c.want)
		}
	}
}
