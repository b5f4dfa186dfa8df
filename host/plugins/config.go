package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/host/pluginapi"
)

// The configuration file's type.
const (
	APIVersion = "kapi.dev/v1alpha1"
	Kind       = "PluginConfiguration"
)

// Source is where an entry's plugin comes from.
type Source string

// Sources of a plugin.
const (
	SourceBuiltin Source = "builtin"
	SourceWasm    Source = "wasm"
	SourceProcess Source = "process"
)

// Configuration is the PluginConfiguration file: the plugins of each kind, in the order they are
// asked.
type Configuration struct {
	APIVersion     string  `json:"apiVersion"`
	Kind           string  `json:"kind"`
	Authenticators []Entry `json:"authenticators,omitempty"`
	Authorizers    []Entry `json:"authorizers,omitempty"`
	Admission      []Entry `json:"admission,omitempty"`
}

// Entry is one plugin of the configuration.
type Entry struct {
	// Name is a built-in's name, or the plugin directory's folder of a wasm or process plugin.
	Name string `json:"name"`
	// Source is builtin, wasm or process.
	Source Source `json:"source"`
	// Config is the plugin's configuration (any JSON); for a wasm or process plugin it replaces
	// the manifest's.
	Config json.RawMessage `json:"config,omitempty"`
	// FailurePolicy overrides the manifest's (Fail or Ignore).
	FailurePolicy pluginapi.FailurePolicy `json:"failurePolicy,omitempty"`
}

// DecodeConfiguration decodes a PluginConfiguration from YAML or JSON strictly (an unknown field is
// an error) and validates it; errors name the field.
func DecodeConfiguration(data []byte) (*Configuration, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("plugin configuration: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var c Configuration
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("plugin configuration: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("plugin configuration: more than one document")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ReadConfiguration reads and decodes the configuration file at path.
func ReadConfiguration(path string) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plugin configuration: %w", err)
	}
	c, err := DecodeConfiguration(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate checks the configuration, returning the first problem with its field's path.
func (c *Configuration) Validate() error {
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("plugin configuration: %s: %s", field, fmt.Sprintf(format, args...))
	}
	if c.APIVersion != APIVersion {
		return fail("apiVersion", "must be %s, not %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		return fail("kind", "must be %s, not %q", Kind, c.Kind)
	}
	for _, list := range []struct {
		field   string
		entries []Entry
	}{{"authenticators", c.Authenticators}, {"authorizers", c.Authorizers}, {"admission", c.Admission}} {
		seen := map[string]int{}
		for i, e := range list.entries {
			field := fmt.Sprintf("%s[%d]", list.field, i)
			if err := e.validate(); err != nil {
				return fail(field+err.field, "%s", err.msg)
			}
			if j, dup := seen[e.Name]; dup {
				return fail(field+".name", "%q is already %s[%d]", e.Name, list.field, j)
			}
			seen[e.Name] = i
		}
	}
	return nil
}

type fieldError struct{ field, msg string }

func (e Entry) validate() *fieldError {
	switch {
	case e.Name == "":
		return &fieldError{".name", "required"}
	case e.Source == "":
		return &fieldError{".source", "required: must be builtin, wasm or process"}
	}
	switch e.Source {
	case SourceBuiltin, SourceWasm, SourceProcess:
	default:
		return &fieldError{".source", fmt.Sprintf("%q: must be builtin, wasm or process", e.Source)}
	}
	switch e.FailurePolicy {
	case "", pluginapi.Fail, pluginapi.Ignore:
	default:
		return &fieldError{".failurePolicy", fmt.Sprintf("%q: must be Fail or Ignore", e.FailurePolicy)}
	}
	if len(e.Config) > 0 && !json.Valid(e.Config) {
		return &fieldError{".config", "not valid JSON"}
	}
	return nil
}
