// Package plugins is the registry of kapi's built-in plugins by name. Each built-in lives in its own
// package below (plugins/authn/x509, plugins/authz/alwaysallow, ...) and registers its constructor
// from init; plugins/all imports every one of them, so the server gets the whole set with one
// import. This registry is the only global state of the plugins tree.
//
// plugins and every built-in import abi and the standard library only: never host, so that every
// built-in can also be compiled as a Wasm guest.
package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/kapi-dev/kapi/abi"
)

// Constructor makes a fresh, unprovisioned plugin; it has no side effects.
type Constructor func() abi.Plugin

var (
	mu       sync.RWMutex
	builtins = map[string]Constructor{}
)

// Register adds a built-in under name. It panics on a duplicate name: that is a programming error
// caught at start-up.
func Register(name string, c Constructor) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := builtins[name]; dup {
		panic(fmt.Sprintf("plugins: built-in %q registered twice", name))
	}
	builtins[name] = c
}

// Lookup returns the constructor of the built-in called name.
func Lookup(name string) (func() abi.Plugin, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := builtins[name]
	return c, ok
}

// Names lists the registered built-ins, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(builtins))
	for n := range builtins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DecodeConfig decodes a plugin's JSON configuration into v strictly: an unknown field, a value of
// the wrong type or trailing data is an error. An empty config leaves v as it is.
func DecodeConfig(config []byte, v any) error {
	if len(bytes.TrimSpace(config)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding config: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("decoding config: unexpected data after the JSON object")
	}
	return nil
}
