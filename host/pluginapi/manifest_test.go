package pluginapi

import (
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
)

const validManifest = `
name: no-latest
kind: ValidatingAdmission
abiVersion: "1.0"
entry: plugin.wasm
capabilities:
  resources:
  - {group: "", version: v1, resource: configmaps, verbs: [get, list]}
  hosts: ["auth.example.com:8443"]
limits: {memoryMiB: 32, timeout: 250ms, instances: 4}
failurePolicy: Ignore
config: {tags: [latest]}
`

func TestDecodeManifestValid(t *testing.T) {
	m, err := DecodeManifest([]byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "no-latest" || m.Kind != abi.KindValidatingAdmission || m.Mode != ModeWasm || m.FailurePolicy != Ignore {
		t.Errorf("decoded %+v", m)
	}
	if m.Limits.MemoryMiB != 32 || m.Timeout() != 250*time.Millisecond || m.Limits.Instances != 4 {
		t.Errorf("limits %+v", m.Limits)
	}
	if got := string(m.ConfigJSON()); got != `{"tags":["latest"]}` {
		t.Errorf("config %s", got)
	}
	if len(m.Capabilities.Resources) != 1 || m.Capabilities.Resources[0].Resource != "configmaps" {
		t.Errorf("capabilities %+v", m.Capabilities)
	}
}

func TestDecodeManifestDefaults(t *testing.T) {
	m, err := DecodeManifest([]byte(`{"name":"a","kind":"Authorizer","abiVersion":"1.0","entry":"a.wasm"}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.FailurePolicy != Fail || m.Limits.MemoryMiB != DefaultMemoryMiB || m.Timeout() != DefaultTimeout ||
		m.Limits.Instances != DefaultInstances || string(m.ConfigJSON()) != "{}" {
		t.Errorf("defaults not applied: %+v", m)
	}
}

func TestDecodeManifestReads(t *testing.T) {
	for _, tc := range []struct {
		yaml  string
		whole bool // no projection: whole reviews are sent
	}{
		{"", true},
		{"reads: []\n", false},
		{"reads: [/spec/resourceAttributes/namespace]\n", false},
	} {
		m, err := DecodeManifest([]byte("name: a\nkind: Authorizer\nabiVersion: \"1.1\"\nentry: a.wasm\n" + tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Projection()
		if err != nil || (p == nil) != tc.whole {
			t.Errorf("%q: projection %v, %v; want whole reviews: %v", tc.yaml, p, err, tc.whole)
		}
	}
}

func TestDecodeManifestErrorsNameTheField(t *testing.T) {
	base := "name: a\nkind: Authorizer\nabiVersion: \"1.0\"\nentry: a.wasm\n"
	admission := "name: a\nkind: ValidatingAdmission\nabiVersion: \"1.2\"\nentry: a.wasm\nreads: [/request/operation]\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", base + "colour: blue\n", `unknown field "colour"`},
		{"unknown nested field", base + "limits: {memory: 3}\n", `unknown field "memory"`},
		{"missing name", "kind: Authorizer\nabiVersion: \"1.0\"\nentry: a.wasm\n", "name: required"},
		{"bad name", strings.Replace(base, "name: a", "name: A_b", 1), "name: \"A_b\" must be a DNS-1123 label"},
		{"bad kind", strings.Replace(base, "Authorizer", "Webhook", 1), `kind: "Webhook" is not one of`},
		{"major version", strings.Replace(base, `"1.0"`, `"2.0"`, 1), "abiVersion: plugin speaks ABI 2.0, host speaks ABI 1.2: major versions differ"},
		{"newer minor", strings.Replace(base, `"1.0"`, `"1.9"`, 1), "plugin needs a newer host"},
		{"bad mode", base + "mode: docker\n", `mode: "docker" is not one of wasm, process`},
		{"missing entry", strings.Replace(base, "entry: a.wasm\n", "", 1), "entry: required"},
		{"escaping entry", strings.Replace(base, "a.wasm", "../x.wasm", 1), "entry: \"../x.wasm\" must be a path inside"},
		{"resource verb", base + "capabilities: {resources: [{version: v1, resource: pods, verbs: [watch]}]}\n", `capabilities.resources[0].verbs[0]: "watch" is not one of get, list`},
		{"resource without version", base + "capabilities: {resources: [{resource: pods, verbs: [get]}]}\n", "capabilities.resources[0].version: required"},
		{"host with path", base + "capabilities: {hosts: [\"h/x\"]}\n", "capabilities.hosts[0]"},
		{"memory", base + "limits: {memoryMiB: 5000}\n", "limits.memoryMiB: 5000 must be between 1 and 4096"},
		{"timeout", base + "limits: {timeout: 1m}\n", "limits.timeout: 1m0s must be more than 0 and at most 30s"},
		{"timeout syntax", base + "limits: {timeout: soon}\n", "invalid duration"},
		{"instances", base + "limits: {instances: 100}\n", "limits.instances: 100 must be between 1 and 64"},
		{"failure policy", base + "failurePolicy: Retry\n", `failurePolicy: "Retry" is not one of Fail, Ignore`},
		{"reads before 1.1", base + "reads: [/spec/user]\n", "reads: needs abiVersion 1.1 or later (the manifest says 1.0)"},
		{"reads not a pointer", strings.Replace(base, `"1.0"`, `"1.1"`, 1) + "reads: [/spec/user, spec/groups]\n", `reads[1]: "spec/groups" must be a JSON pointer starting with "/"`},
		{"unknown input", base + "input: yaml\n", `input: "yaml" is not one of json, fields`},
		{"fields before 1.2", strings.Replace(admission, `"1.2"`, `"1.1"`, 1) + "input: fields\n", "input: fields needs abiVersion 1.2 or later (the manifest says 1.1)"},
		{"fields for an authorizer", strings.Replace(base, `"1.0"`, `"1.2"`, 1) + "reads: []\ninput: fields\n", "input: fields is for admission plugins, not Authorizer"},
		{"fields for a process", admission + "mode: process\ninput: fields\n", "input: fields is for Wasm guests"},
		{"fields without reads", strings.Replace(admission, "reads: [/request/operation]\n", "", 1) + "input: fields\n", "input: fields needs reads"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeManifest([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(validManifest))
	f.Add([]byte(`{"name":"a","kind":"Authorizer","abiVersion":"1.0","entry":"a.wasm"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data)
		if err == nil {
			if verr := m.Validate(); verr != nil {
				t.Fatalf("decoded manifest fails validation: %v", verr)
			}
		}
	})
}
