package pluginapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/abi"
)

// Manifest describes one plugin in the plugin directory (abi/SPEC.md section 4).
type Manifest struct {
	Name          string          `json:"name"`
	Kind          abi.Kind        `json:"kind"`
	ABIVersion    string          `json:"abiVersion"`
	Mode          Mode            `json:"mode,omitempty"`
	Entry         string          `json:"entry"`
	Capabilities  Capabilities    `json:"capabilities,omitempty"`
	Limits        Limits          `json:"limits,omitempty"`
	FailurePolicy FailurePolicy   `json:"failurePolicy,omitempty"`
	Config        json.RawMessage `json:"config,omitempty"`
	// Reads, when not nil, are JSON pointers to the parts of the review the plugin reads (ABI
	// 1.1, abi/SPEC.md section 2.1): the host sends it only those. Nil sends the whole review.
	Reads []string `json:"reads,omitempty"`
	// Input is the form a Wasm admission plugin with reads is sent reviews in: InputJSON (the
	// default) or InputFields, the values of its reads (ABI 1.2, abi/SPEC.md section 2.2).
	Input Input `json:"input,omitempty"`
	// Rules, when not nil, are the requests an admission plugin is called on (ABI 1.2, see
	// Rule); nil calls it on every request.
	Rules []Rule `json:"rules,omitempty"`
}

// Input is the form of the requests a plugin is sent.
type Input string

// Inputs: a review as JSON (its projection when the manifest has reads), or the fields table of
// the manifest's reads.
const (
	InputJSON   Input = "json"
	InputFields Input = "fields"
)

// Mode is how a plugin runs.
type Mode string

// Plugin modes. ModeNative is a built-in Go value; manifests name only wasm or process.
const (
	ModeNative  Mode = "native"
	ModeWasm    Mode = "wasm"
	ModeProcess Mode = "process"
)

// Capabilities are what a plugin may ask of the host beyond logging and the clock.
type Capabilities struct {
	Resources []ResourceCapability `json:"resources,omitempty"`
	// Hosts are the hosts outbound HTTP may reach: "name" (any port) or "name:port".
	Hosts []string `json:"hosts,omitempty"`
}

// ResourceCapability lets a plugin read one resource.
type ResourceCapability struct {
	Group    string   `json:"group"`
	Version  string   `json:"version"`
	Resource string   `json:"resource"`
	Verbs    []string `json:"verbs"`
}

// Limits bound what one plugin may consume.
type Limits struct {
	MemoryMiB int      `json:"memoryMiB,omitempty"`
	Timeout   Duration `json:"timeout,omitempty"`
	Instances int      `json:"instances,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("1s", "250ms").
type Duration time.Duration

// UnmarshalJSON decodes a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"1s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON encodes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// FailurePolicy says what a failed call means.
type FailurePolicy string

// Failure policies, as admission webhooks name them.
const (
	// Fail makes a failed call fail the request (authn: error, authz: no opinion plus error,
	// admission: 500).
	Fail FailurePolicy = "Fail"
	// Ignore makes a failed call give the neutral answer (not authenticated, no opinion, allowed).
	Ignore FailurePolicy = "Ignore"
)

// Defaults applied by DecodeManifest when a field is absent.
const (
	DefaultMemoryMiB = 64
	DefaultTimeout   = time.Second
	DefaultInstances = 2
)

// Bounds a manifest's limits must respect.
const (
	MaxMemoryMiB = 4096
	MaxTimeout   = 30 * time.Second
	MaxInstances = 64
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// DecodeManifest decodes a manifest from YAML or JSON, strictly (an unknown field is an error),
// fills in defaults and validates it. Errors name the offending field.
func DecodeManifest(data []byte) (*Manifest, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: more than one document")
	}
	m.SetDefaults()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// SetDefaults fills in the defaults of absent fields.
func (m *Manifest) SetDefaults() {
	if m.Mode == "" {
		m.Mode = ModeWasm
	}
	if m.FailurePolicy == "" {
		m.FailurePolicy = Fail
	}
	if m.Limits.MemoryMiB == 0 {
		m.Limits.MemoryMiB = DefaultMemoryMiB
	}
	if m.Limits.Timeout == 0 {
		m.Limits.Timeout = Duration(DefaultTimeout)
	}
	if m.Limits.Instances == 0 {
		m.Limits.Instances = DefaultInstances
	}
}

// Validate checks every field, returning the first problem with the field's path in it.
func (m *Manifest) Validate() error {
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("manifest %q: %s: %s", m.Name, field, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Name == "":
		return fail("name", "required")
	case len(m.Name) > 63 || !dns1123Label.MatchString(m.Name):
		return fail("name", "%q must be a DNS-1123 label (lower case letters, digits and '-', at most 63)", m.Name)
	}
	switch m.Kind {
	case abi.KindAuthenticator, abi.KindAuthorizer, abi.KindMutatingAdmission, abi.KindValidatingAdmission:
	case "":
		return fail("kind", "required")
	default:
		return fail("kind", "%q is not one of Authenticator, Authorizer, MutatingAdmission, ValidatingAdmission", m.Kind)
	}
	if m.ABIVersion == "" {
		return fail("abiVersion", "required")
	}
	if err := abi.CheckVersion(m.ABIVersion); err != nil {
		return fail("abiVersion", "%v", err)
	}
	switch m.Mode {
	case ModeWasm, ModeProcess:
	default:
		return fail("mode", "%q is not one of wasm, process", m.Mode)
	}
	if m.Entry == "" {
		return fail("entry", "required")
	}
	if strings.HasPrefix(m.Entry, "/") || strings.Contains(m.Entry, "..") {
		return fail("entry", "%q must be a path inside the plugin's directory", m.Entry)
	}
	for i, r := range m.Capabilities.Resources {
		field := fmt.Sprintf("capabilities.resources[%d]", i)
		if r.Version == "" {
			return fail(field+".version", "required")
		}
		if r.Resource == "" {
			return fail(field+".resource", "required")
		}
		if len(r.Verbs) == 0 {
			return fail(field+".verbs", "required: one or more of get, list")
		}
		for j, v := range r.Verbs {
			if v != "get" && v != "list" {
				return fail(fmt.Sprintf("%s.verbs[%d]", field, j), "%q is not one of get, list", v)
			}
		}
	}
	for i, h := range m.Capabilities.Hosts {
		if h == "" || strings.ContainsAny(h, "/ ?#@") {
			return fail(fmt.Sprintf("capabilities.hosts[%d]", i), "%q must be a host name, optionally with :port", h)
		}
	}
	if m.Limits.MemoryMiB < 1 || m.Limits.MemoryMiB > MaxMemoryMiB {
		return fail("limits.memoryMiB", "%d must be between 1 and %d", m.Limits.MemoryMiB, MaxMemoryMiB)
	}
	if t := time.Duration(m.Limits.Timeout); t <= 0 || t > MaxTimeout {
		return fail("limits.timeout", "%s must be more than 0 and at most %s", t, MaxTimeout)
	}
	if m.Limits.Instances < 1 || m.Limits.Instances > MaxInstances {
		return fail("limits.instances", "%d must be between 1 and %d", m.Limits.Instances, MaxInstances)
	}
	switch m.FailurePolicy {
	case Fail, Ignore:
	default:
		return fail("failurePolicy", "%q is not one of Fail, Ignore", m.FailurePolicy)
	}
	if err := m.validateInput(); err != nil {
		return err
	}
	if err := m.validateRules(); err != nil {
		return err
	}
	if m.Reads != nil {
		if _, minor, _ := abi.ParseVersion(m.ABIVersion); minor < 1 {
			return fail("reads", "needs abiVersion 1.1 or later (the manifest says %s)", m.ABIVersion)
		}
		if _, err := NewProjection(m.Kind, m.Reads); err != nil {
			return fmt.Errorf("manifest %q: %w", m.Name, err)
		}
	}
	return nil
}

// Projection is the compiled form of the manifest's reads, or nil when it has none (the plugin
// is sent whole reviews).
func (m *Manifest) Projection() (*Projection, error) {
	if m.Reads == nil {
		return nil, nil
	}
	p, err := NewProjection(m.Kind, m.Reads)
	if err != nil {
		return nil, fmt.Errorf("manifest %q: %w", m.Name, err)
	}
	return p, nil
}

// validateInput checks input: fields is for a Wasm admission plugin with reads, of ABI 1.2.
func (m *Manifest) validateInput() error {
	switch m.Input {
	case "", InputJSON:
		return nil
	case InputFields:
	default:
		return fmt.Errorf("manifest %q: input: %q is not one of json, fields", m.Name, m.Input)
	}
	problem := ""
	switch _, minor, _ := abi.ParseVersion(m.ABIVersion); {
	case minor < 2:
		problem = fmt.Sprintf("needs abiVersion 1.2 or later (the manifest says %s)", m.ABIVersion)
	case m.Kind != abi.KindMutatingAdmission && m.Kind != abi.KindValidatingAdmission:
		problem = fmt.Sprintf("is for admission plugins, not %s", m.Kind)
	case m.Mode != ModeWasm:
		problem = "is for Wasm guests (a process plugin reads JSON natively, where it costs little)"
	case m.Reads == nil:
		problem = "needs reads: the table holds the values of the reads"
	}
	if problem != "" {
		return fmt.Errorf("manifest %q: input: fields %s", m.Name, problem)
	}
	return nil
}

// Fields is the compiled fields table of the manifest's reads, or nil when the plugin is sent
// JSON.
func (m *Manifest) Fields() (*Fields, error) {
	if m.Input != InputFields {
		return nil, nil
	}
	f, err := NewFields(m.Reads)
	if err != nil {
		return nil, fmt.Errorf("manifest %q: %w", m.Name, err)
	}
	return f, nil
}

// Timeout is the per-call deadline.
func (m *Manifest) Timeout() time.Duration { return time.Duration(m.Limits.Timeout) }

// ConfigJSON is the configuration passed to Provision: the manifest's config, or {} when absent.
func (m *Manifest) ConfigJSON() []byte {
	if len(m.Config) == 0 || string(m.Config) == "null" {
		return []byte("{}")
	}
	return m.Config
}
