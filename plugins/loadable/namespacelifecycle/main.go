// Command namespacelifecycle is the NamespaceLifecycle built-in as a loadable plugin: a Wasm guest when built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, a process plugin when built natively (see package
// loadable).
package main

import (
	_ "github.com/kapi-dev/kapi/plugins/admission/namespacelifecycle"

	"github.com/kapi-dev/kapi/plugins/loadable"
)

func init() { loadable.Register("NamespaceLifecycle") }

func main() { loadable.Main() }
