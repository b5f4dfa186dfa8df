// Package loadable turns a built-in plugin into a loadable one: the tiny main of each built-in
// (plugins/loadable/<name>/main.go) calls Register from init and Main from main, and the same
// source builds
//
//   - as a Wasm guest (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared): Register hands the
//     built-in to sdk/guest, Main is never called (a reactor module runs only its init);
//   - as a process plugin (a native go build): Register remembers the built-in, Main serves it
//     with sdk/process.
//
// `make plugins` (go run ./sdk/examples/build -plugins) builds every one into _output/plugins/<name>-wasm and
// _output/plugins/<name>-process, each a plugin-directory folder with its manifest.
//
// Unlike the built-ins themselves, this package and the mains import the SDK (sdk/guest,
// sdk/process); they never import host, not even in tests: the test that every built-in answers
// the same natively, as Wasm and as a process lives in host/plugins (equivalence_test.go).
package loadable

import (
	"fmt"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// lookup makes the built-in called name, which the main has imported.
func lookup(name string) abi.Plugin {
	newPlugin, ok := plugins.Lookup(name)
	if !ok {
		panic(fmt.Sprintf("loadable: no built-in %q is registered (import its package)", name))
	}
	return newPlugin()
}
