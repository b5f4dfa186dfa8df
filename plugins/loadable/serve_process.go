//go:build !wasip1

package loadable

import "github.com/kapi-dev/kapi/sdk/process"

var registered string

// Register remembers the built-in called name for Main.
func Register(name string) { registered = name }

// Main serves the registered built-in as a process plugin until the host stops it.
func Main() {
	if registered == "" {
		panic("loadable: Main without Register")
	}
	process.Serve(lookup(registered))
}
