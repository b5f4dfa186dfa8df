package plugins

import (
	"strings"
	"testing"
)

func TestDecodeConfigurationNamesTheField(t *testing.T) {
	const head = "apiVersion: kapi.dev/v1alpha1\nkind: PluginConfiguration\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"bad source", head + "authenticators: [{name: x509, source: builtin}, {name: z, source: dll}]",
			`authenticators[1].source: "dll": must be builtin, wasm or process`},
		{"missing source", head + "authorizers: [{name: x}]", "authorizers[0].source: required"},
		{"missing name", head + "admission: [{source: wasm}]", "admission[0].name: required"},
		{"bad failure policy", head + "admission: [{name: a, source: wasm, failurePolicy: Maybe}]",
			`admission[0].failurePolicy: "Maybe": must be Fail or Ignore`},
		{"duplicate", head + "authorizers: [{name: a, source: builtin}, {name: a, source: wasm}]",
			`authorizers[1].name: "a" is already authorizers[0]`},
		{"unknown field", head + "admision: []", `unknown field "admision"`},
		{"unknown entry field", head + "admission: [{name: a, source: wasm, policy: Fail}]", `unknown field "policy"`},
		{"api version", "apiVersion: v1\nkind: PluginConfiguration\n", `apiVersion: must be kapi.dev/v1alpha1, not "v1"`},
		{"kind", "apiVersion: kapi.dev/v1alpha1\nkind: Config\n", `kind: must be PluginConfiguration, not "Config"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeConfiguration([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestDecodeConfiguration(t *testing.T) {
	c, err := DecodeConfiguration([]byte(`apiVersion: kapi.dev/v1alpha1
kind: PluginConfiguration
authenticators: [{name: x509, source: builtin}]
authorizers:
- {name: owner-authz, source: process, failurePolicy: Fail}
- {name: AlwaysAllow, source: builtin}
admission:
- {name: default-label, source: wasm, config: {key: team, value: a}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Authenticators) != 1 || len(c.Authorizers) != 2 || len(c.Admission) != 1 {
		t.Fatalf("decoded %+v", c)
	}
	if got := c.Authorizers[0]; got.Name != "owner-authz" || got.Source != SourceProcess || got.FailurePolicy != "Fail" {
		t.Errorf("authorizers[0] = %+v", got)
	}
	if got := string(c.Admission[0].Config); got != `{"key":"team","value":"a"}` {
		t.Errorf("admission[0].config = %s", got)
	}
}

func TestEffective(t *testing.T) {
	examples, _ := buildAll(t)
	flags := Flags{
		Authenticators:     []Entry{{Name: "x509", Source: SourceBuiltin}},
		AuthorizationModes: []string{"ownerauthz", "AlwaysAllow"},
		AdmissionPlugins:   []string{"NamespaceLifecycle", "no-latest"},
	}
	got, err := Effective(nil, flags, examples)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Entry{{Name: "ownerauthz", Source: SourceProcess}, {Name: "AlwaysAllow", Source: SourceBuiltin}}; !sameEntries(got.Authorizers, want) {
		t.Errorf("authorizers from the flags = %+v, want %+v", got.Authorizers, want)
	}
	if want := []Entry{{Name: "NamespaceLifecycle", Source: SourceBuiltin}, {Name: "no-latest", Source: SourceWasm}}; !sameEntries(got.Admission, want) {
		t.Errorf("admission from the flags = %+v, want %+v", got.Admission, want)
	}
	if len(got.Authenticators) != 1 {
		t.Errorf("authenticators = %+v", got.Authenticators)
	}

	// A list the file states replaces the flags'; one it leaves out keeps them.
	file := &Configuration{APIVersion: APIVersion, Kind: Kind, Admission: []Entry{{Name: "default-label", Source: SourceWasm}}}
	got, err = Effective(file, flags, examples)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Entry{{Name: "default-label", Source: SourceWasm}}; !sameEntries(got.Admission, want) {
		t.Errorf("admission with the file = %+v, want %+v", got.Admission, want)
	}
	if len(got.Authorizers) != 2 {
		t.Errorf("authorizers with a file that states none = %+v, want the flags'", got.Authorizers)
	}

	for _, c := range []struct {
		flags Flags
		want  string
	}{
		{Flags{AuthorizationModes: []string{"RBAC"}}, `--authorization-mode: unknown plugin "RBAC"`},
		{Flags{AuthorizationModes: []string{"AlwaysAllow", "AlwaysAllow"}}, `--authorization-mode: "AlwaysAllow" given twice`},
		{Flags{}, "--authorization-mode: at least one mode is required"},
		{Flags{AuthorizationModes: []string{"AlwaysAllow"}, AdmissionPlugins: []string{"nope"}}, `--enable-admission-plugins: unknown plugin "nope"`},
	} {
		if _, err := Effective(nil, c.flags, examples); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Effective(%+v): %v, want %q", c.flags, err, c.want)
		}
	}
}

func sameEntries(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Source != b[i].Source {
			return false
		}
	}
	return true
}
