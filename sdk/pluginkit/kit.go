package pluginkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
)

// Spec describes the plugin under test the same way for every mode.
type Spec struct {
	Name string
	Kind abi.Kind
	// Config is the plugin's configuration JSON; empty means {}.
	Config string
	// Capabilities and Reader shape the host services the plugin gets (pluginapi.NewHostServices);
	// Reader may be nil.
	Capabilities pluginapi.Capabilities
	Reader       pluginapi.ObjectReader
	// Reads are the manifest's reads (abi/SPEC.md section 2.1): in the Wasm and process modes
	// the plugin is sent only those parts of each review, so running a table in every mode
	// checks that they name all the plugin reads. Nil sends whole reviews.
	Reads []string
	// Input is the manifest's input: pluginapi.InputFields sends a Wasm admission plugin the
	// fields table of its Reads (abi/SPEC.md section 2.2); empty sends JSON.
	Input pluginapi.Input
}

func (s Spec) manifest(t testing.TB) *pluginapi.Manifest {
	t.Helper()
	m := &pluginapi.Manifest{Name: s.Name, Kind: s.Kind, ABIVersion: abi.Version, Entry: "plugin",
		Capabilities: s.Capabilities, Config: json.RawMessage(s.Config), Reads: s.Reads, Input: s.Input}
	m.SetDefaults()
	if err := m.Validate(); err != nil {
		t.Fatalf("pluginkit spec: %v", err)
	}
	return m
}

// Mode runs the plugin one way. Start returns it provisioned with the spec's config and host
// services, and arranges for it to be closed when the test ends. A new mode (the process mode,
// say) is one more implementation of this interface.
type Mode interface {
	Name() string
	Spec() Spec
	Start(t testing.TB, host abi.Host) abi.Plugin
}

// Native runs p as a built-in Go value.
func Native(spec Spec, p abi.Plugin) Mode { return nativeMode{spec, p} }

type nativeMode struct {
	spec Spec
	p    abi.Plugin
}

func (m nativeMode) Name() string { return "native" }
func (m nativeMode) Spec() Spec   { return m.spec }

func (m nativeMode) Start(t testing.TB, host abi.Host) abi.Plugin {
	t.Helper()
	if err := m.p.Provision(context.Background(), m.spec.manifest(t).ConfigJSON(), host); err != nil {
		t.Fatalf("native: provision: %v", err)
	}
	t.Cleanup(func() { _ = m.p.Close() })
	return m.p
}

// Wasm runs the Go main package in dir (relative to the test) as a Wasm guest, built with
// BuildGoGuest and loaded by host/wasm.
func Wasm(spec Spec, dir string) Mode {
	return WasmModule(spec, "wasm", func(t testing.TB) []byte { return BuildGoGuest(t, dir) })
}

// WasmModule runs the module build gives (AssembleWAT, say) with host/wasm, under the mode name
// name.
func WasmModule(spec Spec, name string, build func(t testing.TB) []byte) Mode {
	return wasmMode{spec, name, build}
}

type wasmMode struct {
	spec  Spec
	name  string
	build func(t testing.TB) []byte
}

func (m wasmMode) Name() string { return m.name }
func (m wasmMode) Spec() Spec   { return m.spec }

func (m wasmMode) Start(t testing.TB, host abi.Host) abi.Plugin {
	t.Helper()
	module := m.build(t)
	ctx := context.Background()
	r, err := wasm.NewRuntime(ctx, wasm.RuntimeConfig{CacheDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Load(ctx, m.spec.manifest(t), module, host)
	if err != nil {
		_ = r.Close(ctx)
		t.Fatalf("%s: %v", m.name, err)
	}
	t.Cleanup(func() {
		_ = p.Close()
		_ = r.Close(ctx)
	})
	return p
}

// Case is one request and the answer every mode must give.
type Case struct {
	Name string
	// Review is the request: *abi.AdmissionReview, *abi.TokenReview or *abi.SubjectAccessReview,
	// or the JSON of one ([]byte or string), matching the spec's kind.
	Review any
	Want   Want
}

// Want is the expected answer. Fields that do not apply to the kind are ignored.
type Want struct {
	// Allowed is admission's allowed, an authorizer's allowed, an authenticator's authenticated.
	Allowed bool
	// Denied is an authorizer's denied.
	Denied bool
	// Username is the authenticated user's name.
	Username string
	// Patch is the JSON patch a mutating plugin answers, compared as JSON; empty means none.
	Patch string
	// Message must be contained in the answer's status message (admission), reason (authz) or
	// error (authn); empty checks nothing.
	Message string
	// Err must be contained in the call's error; empty means the call must succeed.
	Err string
}

// Run calls every case in every mode, checks each answer against the case's Want, and checks
// that all modes gave the same answer, field for field.
func Run(t *testing.T, cases []Case, modes ...Mode) {
	t.Helper()
	if len(modes) == 0 {
		t.Fatal("pluginkit.Run: no modes")
	}
	answers := make([]map[string]string, len(cases)) // case -> mode -> canonical answer
	for i := range answers {
		answers[i] = map[string]string{}
	}
	for _, mode := range modes {
		t.Run(mode.Name(), func(t *testing.T) {
			spec := mode.Spec()
			m := spec.manifest(t)
			host := pluginapi.NewHostServices(m, slog.New(slog.DiscardHandler), spec.Reader, nil)
			raw := mode.Start(t, host)
			// The policy wrapper applies the ABI's answer rules (uid, patch type) the same way in
			// every mode; Fail keeps errors visible.
			p, err := pluginapi.WithFailurePolicy(m, pluginapi.Mode(mode.Name()), raw, nil, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					got, err := call(spec.Kind, p, c.Review)
					if err != nil && got.Err == "" {
						t.Fatal(err)
					}
					check(t, c.Want, got)
					answers[i][mode.Name()] = got.canonical
				})
			}
		})
	}
	for i, c := range cases {
		first := modes[0].Name()
		for _, mode := range modes[1:] {
			if a, b := answers[i][first], answers[i][mode.Name()]; a != "" && b != "" && a != b {
				t.Errorf("case %q: modes disagree:\n %s: %s\n %s: %s", c.Name, first, a, mode.Name(), b)
			}
		}
	}
}

// answer is a kind-independent view of a plugin's answer.
type answer struct {
	allowed, denied   bool
	username, message string
	patch             []byte
	Err               string
	canonical         string // the whole answer as JSON, for comparing modes
}

func call(kind abi.Kind, p abi.Plugin, review any) (answer, error) {
	ctx := context.Background()
	var a answer
	var result any
	var err error
	switch kind {
	case abi.KindAuthenticator:
		r := new(abi.TokenReview)
		if err := decodeReview(review, r); err != nil {
			return a, err
		}
		st, cerr := p.(abi.Authenticator).Authenticate(ctx, r)
		a.allowed, a.username, a.message, result, err = st.Authenticated, st.User.Username, st.Error, st, cerr
	case abi.KindAuthorizer:
		r := new(abi.SubjectAccessReview)
		if err := decodeReview(review, r); err != nil {
			return a, err
		}
		st, cerr := p.(abi.Authorizer).Authorize(ctx, r)
		a.allowed, a.denied, a.message, result, err = st.Allowed, st.Denied, st.Reason, st, cerr
	case abi.KindMutatingAdmission, abi.KindValidatingAdmission:
		r := new(abi.AdmissionReview)
		if err := decodeReview(review, r); err != nil {
			return a, err
		}
		var resp abi.AdmissionResponse
		var cerr error
		if kind == abi.KindMutatingAdmission {
			resp, cerr = p.(abi.MutatingAdmission).Admit(ctx, r)
		} else {
			resp, cerr = p.(abi.ValidatingAdmission).Validate(ctx, r)
		}
		a.allowed, a.patch, err = resp.Allowed, resp.Patch, cerr
		if resp.Result != nil {
			a.message = resp.Result.Message
		}
		if len(resp.Patch) > 0 {
			resp.Patch = canonicalJSON(resp.Patch)
		}
		result = resp
	default:
		return a, fmt.Errorf("pluginkit: unknown kind %q", kind)
	}
	if err != nil {
		a.Err = err.Error()
		a.canonical = "error"
		return a, err
	}
	b, _ := json.Marshal(result)
	a.canonical = string(b)
	return a, nil
}

func decodeReview(review, into any) error {
	switch r := review.(type) {
	case []byte:
		return json.Unmarshal(r, into)
	case string:
		return json.Unmarshal([]byte(r), into)
	}
	v := reflect.ValueOf(review)
	if v.Kind() != reflect.Pointer || v.Type() != reflect.TypeOf(into) {
		return fmt.Errorf("pluginkit: review is %T, want %T or its JSON", review, into)
	}
	b, err := json.Marshal(review)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into) // a copy per mode: no mode sees another's changes
}

func canonicalJSON(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

func check(t *testing.T, want Want, got answer) {
	t.Helper()
	switch {
	case want.Err != "":
		if !strings.Contains(got.Err, want.Err) {
			t.Errorf("error %q, want one containing %q", got.Err, want.Err)
		}
		return
	case got.Err != "":
		t.Errorf("unexpected error: %s", got.Err)
		return
	}
	if got.allowed != want.Allowed {
		t.Errorf("allowed/authenticated = %v, want %v (answer %s)", got.allowed, want.Allowed, got.canonical)
	}
	if got.denied != want.Denied {
		t.Errorf("denied = %v, want %v", got.denied, want.Denied)
	}
	if got.username != want.Username {
		t.Errorf("username = %q, want %q", got.username, want.Username)
	}
	if !strings.Contains(got.message, want.Message) {
		t.Errorf("message %q, want one containing %q", got.message, want.Message)
	}
	switch {
	case want.Patch == "" && len(got.patch) > 0:
		t.Errorf("unexpected patch %s", got.patch)
	case want.Patch != "" && !bytes.Equal(canonicalJSON([]byte(want.Patch)), canonicalJSON(got.patch)):
		t.Errorf("patch %s, want %s", got.patch, want.Patch)
	}
}
