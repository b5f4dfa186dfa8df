//go:build wasip1

package loadable

import "github.com/kapi-dev/kapi/sdk/guest"

// Register makes the built-in called name the plugin this Wasm module serves.
func Register(name string) { guest.Register(lookup(name)) }

// Main does nothing in a Wasm guest: the host calls the module's exports.
func Main() {}
