// Package guest turns a Go plugin into a kapi WebAssembly guest. Built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// a main package that registers its plugin in init gives a module implementing abi/SPEC.md
// section 3:
//
//	package main
//
//	import "github.com/kapi-dev/kapi/sdk/guest"
//
//	func init() { guest.Register(myPlugin{}) }
//
//	func main() {}
//
// The exports (kapi_abi_version, kapi_alloc, kapi_free, kapi_provision, kapi_close and the four
// call exports) are defined here with //go:wasmexport, which works in a non-main package since Go
// 1.24; the host services come from //go:wasmimport kapi.* functions and reach the plugin as the
// abi.Host given to Provision. Only the call export of the registered plugin's kinds answer; the
// others answer with an error envelope.
//
// Decoding cost: a typical Pod AdmissionReview decodes in the guest in tens of microseconds with
// encoding/json. A policy that needs a few fields only may register a RawValidator or RawMutator
// instead, and read them with Lookup, which scans the raw bytes without building the review.
//
// guest imports abi and the standard library only. Its exports and imports exist only when
// GOOS=wasip1; on other platforms the package offers Register and Lookup alone, so a plugin
// package that registers itself still builds and tests natively.
package guest
