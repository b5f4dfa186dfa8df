package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

func TestEveryKindCrossesTheProcessBoundary(t *testing.T) {
	ctx := context.Background()
	pod := json.RawMessage(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"}}`)
	admission := func(name string) *abi.AdmissionReview {
		return abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "u-1", Name: name, Namespace: "default", Operation: "CREATE",
			Kind: abi.GroupVersionKind{Version: "v1", Kind: "Pod"}, Resource: abi.GroupVersionResource{Version: "v1", Resource: "pods"}, Object: pod})
	}
	tests := []struct {
		kind abi.Kind
		call func(p *process.Plugin) (any, error)
		want string // the answer, as JSON
	}{
		{abi.KindAuthorizer, func(p *process.Plugin) (any, error) { return p.Authorize(ctx, review("alice")) },
			`{"allowed":true}`},
		{abi.KindAuthenticator, func(p *process.Plugin) (any, error) {
			return p.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "secret"}))
		}, `{"authenticated":true,"user":{"username":"alice","groups":["dev"]}}`},
		{abi.KindAuthenticator, func(p *process.Plugin) (any, error) {
			return p.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "other"}))
		}, `{"authenticated":false,"user":{}}`},
		{abi.KindMutatingAdmission, func(p *process.Plugin) (any, error) { return p.Admit(ctx, admission("web")) },
			`{"uid":"u-1","allowed":true,"patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscyIsInZhbHVlIjp7InRlYW0iOiJub25lIn19XQ==","patchType":"JSONPatch"}`},
		{abi.KindValidatingAdmission, func(p *process.Plugin) (any, error) { return p.Validate(ctx, admission("bad")) },
			`{"uid":"u-1","allowed":false,"status":{"status":"Failure","message":"bad name","reason":"Forbidden","code":403}}`},
	}
	// One process per kind, loaded once.
	plugins := map[abi.Kind]*process.Plugin{}
	for _, tc := range tests {
		if plugins[tc.kind] == nil {
			plugins[tc.kind] = load(t, manifest(t, strings.ToLower(string(tc.kind)), tc.kind), nil, process.Options{})
		}
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			got, err := tc.call(plugins[tc.kind])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Errorf("answer %s\nwant %s", b, tc.want)
			}
		})
	}
	t.Run("other kinds' methods fail", func(t *testing.T) {
		_, err := plugins[abi.KindAuthorizer].Validate(ctx, admission("web"))
		var ce *pluginapi.CallError
		if !errors.As(err, &ce) || ce.Plugin != "authorizer" || !strings.Contains(err.Error(), "does not serve") {
			t.Errorf("Validate on an Authorizer: %v", err)
		}
	})
}

func TestHostServicesOverTheBroker(t *testing.T) {
	m := manifest(t, "reader", abi.KindAuthorizer, func(m *pluginapi.Manifest) {
		m.Capabilities.Resources = []pluginapi.ResourceCapability{{Version: "v1", Resource: "namespaces", Verbs: []string{"get", "list"}}}
	})
	reader := pluginapi.NewFixtureReader()
	nsA := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"team":"a"}}}`
	reader.Put(abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", "team-a", []byte(nsA))
	var logs pluginkit.LogBuffer
	p := load(t, m, pluginapi.NewHostServices(m, logs.Logger(), reader, nil), process.Options{Logger: logs.Logger()})

	tests := []struct {
		user, namespace string
		wantReason      string // exact, unless wantErr
		wantErr         string // a substring of the call's error
	}{
		{user: "get", namespace: "team-a", wantReason: nsA},
		{user: "get", namespace: "team-b", wantReason: "not found"},
		{user: "list", wantReason: `{"apiVersion":"v1","items":[` + nsA + `],"kind":"List","metadata":{}}`},
		{user: "secret", namespace: "team-a", wantErr: "get v1/secrets: not permitted by the plugin's manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.user+"/"+tc.namespace, func(t *testing.T) {
			r := review(tc.user)
			r.Spec.ResourceAttributes.Namespace = tc.namespace
			st, err := p.Authorize(context.Background(), r)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Reason != tc.wantReason {
				t.Errorf("reason %s\nwant   %s", st.Reason, tc.wantReason)
			}
		})
	}
	t.Run("now", func(t *testing.T) {
		before := time.Now()
		st, err := p.Authorize(context.Background(), review("now"))
		if err != nil {
			t.Fatal(err)
		}
		ns, err := strconv.ParseInt(st.Reason, 10, 64)
		if err != nil || ns < before.UnixNano() || ns > time.Now().UnixNano() {
			t.Errorf("host clock %q is not between the call's start and end", st.Reason)
		}
	})
	t.Run("log", func(t *testing.T) {
		if _, err := p.Authorize(context.Background(), review("log")); err != nil {
			t.Fatal(err)
		}
		if got := logs.String(); !strings.Contains(got, `level=WARN msg="testplugin says hello" plugin=reader`) {
			t.Errorf("the plugin's log line is not in the server log:\n%s", got)
		}
	})
	t.Run("stdout and stderr after the handshake go to the log", func(t *testing.T) {
		if _, err := p.Authorize(context.Background(), review("garbage")); err != nil {
			t.Fatal(err)
		}
		waitFor(func() bool {
			l := logs.String()
			return strings.Contains(l, `msg="plugin stdout" plugin=reader line="garbage on os.Stdout after the handshake"`) &&
				strings.Contains(l, `msg="plugin stderr" plugin=reader line="garbage on os.Stderr after the handshake"`)
		})
	})
}

func TestProvision(t *testing.T) {
	t.Run("a refused configuration fails the load", func(t *testing.T) {
		m := manifest(t, "refuser", abi.KindAuthorizer, func(m *pluginapi.Manifest) { m.Config = json.RawMessage(`{"refuse":true}`) })
		_, err := process.Load(context.Background(), m, testPlugin, nil, process.Options{})
		if err == nil || !strings.Contains(err.Error(), `loading process plugin "refuser"`) ||
			!strings.Contains(err.Error(), "testplugin refuses this configuration") {
			t.Fatalf("Load: %v", err)
		}
	})
	t.Run("configuration reaches the plugin, and Provision replaces it", func(t *testing.T) {
		m := manifest(t, "prefixer", abi.KindAuthorizer, func(m *pluginapi.Manifest) { m.Config = json.RawMessage(`{"prefix":"one:"}`) })
		p := load(t, m, nil, process.Options{})
		if st, err := p.Authorize(context.Background(), review("alice")); err != nil || st.Reason != "one:" {
			t.Fatalf("reason %q, error %v; want one:", st.Reason, err)
		}
		if err := p.Provision(context.Background(), []byte(`{"prefix":"two:"}`), nil); err != nil {
			t.Fatal(err)
		}
		if st, err := p.Authorize(context.Background(), review("alice")); err != nil || st.Reason != "two:" {
			t.Fatalf("reason %q, error %v; want two:", st.Reason, err)
		}
		// The second Provision carried the same broker ID: the host services still answer.
		if st, err := p.Authorize(context.Background(), review("now")); err != nil || !strings.HasPrefix(st.Reason, "two:1") {
			t.Fatalf("host clock after a second Provision: %q, %v", st.Reason, err)
		}
		err := p.Provision(context.Background(), []byte(`{"unknown":1}`), nil)
		if err == nil || !strings.Contains(err.Error(), `unknown field "unknown"`) {
			t.Fatalf("Provision with an unknown field: %v", err)
		}
	})
}

func TestLoadFailsClearly(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "plugin")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notPlugin := filepath.Join(t.TempDir(), "notplugin")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho not a plugin\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		executable string
		mutate     func(*pluginapi.Manifest)
		want       []string
	}{
		{"garbage before the handshake", garbageFirst, nil,
			[]string{`loading process plugin "p"`, "not go-plugin's handshake", "write nothing to stdout before it",
				"hello from a plugin that prints before the handshake"}},
		{"another ABI major version", abiTwo, nil,
			[]string{`loading process plugin "p"`, "speaks another ABI major version than this host's " + abi.Version, "Plugin version: 2"}},
		{"not a plugin", notPlugin, nil, []string{`loading process plugin "p"`, "not go-plugin's handshake", "not a plugin"}},
		{"missing executable", filepath.Join(t.TempDir(), "absent"), nil, []string{"executable:", "no such file"}},
		{"not executable", notExec, nil, []string{"is not an executable file"}},
		{"wasm manifest", testPlugin, func(m *pluginapi.Manifest) { m.Mode = pluginapi.ModeWasm }, []string{`manifest mode is "wasm", not "process"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := manifest(t, "p", abi.KindAuthorizer)
			if tc.mutate != nil {
				tc.mutate(m)
			}
			p, err := process.Load(context.Background(), m, tc.executable, nil, process.Options{})
			if err == nil {
				p.Close()
				t.Fatal("Load succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if kids := childrenOf(os.Getpid()); len(kids) > 0 {
		t.Errorf("failed loads left processes behind: %v", kids)
	}
}
