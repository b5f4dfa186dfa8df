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
// Decoding cost: in a Go Wasm guest encoding/json's reflection costs about ten times what it
// costs natively (~0.3-0.5 ms for a typical 4 KB Pod AdmissionReview). A policy that needs a few
// fields may implement RawValidator or RawMutator instead and read the review's bytes itself:
// best with a Query, made once, which reads every path the policy needs in one pass over the
// review (sdk/examples/nolatest does; host/wasm's BenchmarkAdmitPod measures it), or with Seek,
// Members, Elements, Lookup and Unquote, which scan without building anything but read nested
// containers once per level. The review's bytes are valid only during the call: the guest
// reuses one request buffer from call to call. View reads a string value without copying it (a
// string sharing those bytes, so valid only during the call), where Unquote copies: in a Go
// Wasm guest an allocation costs about as much as scanning a few hundred bytes, so a policy that
// reads its fields with View and keeps what it finds in fixed-size arrays answers an allowed
// request without allocating (nolatest does, and its tests pin it).
//
// Cheapest of all: a policy whose manifest has reads and says input: fields (ABI 1.2,
// abi/SPEC.md section 2.2) is sent not JSON but the values its reads reach, found by the host,
// and implements FieldsValidator or FieldsMutator: it reads one entry per value with Fields.Next,
// each naming its read by index and the array elements on its way, so the guest scans no JSON.
// The guest tells a fields table from JSON by its first byte, so one module serves both.
//
// Scanning cost: Go's wasm port turns every taken branch into a jump through the function's
// block dispatcher and every call into a stack-switching sequence, so the readers here read
// eight bytes at a time (SWAR) and call nothing for members no path names. SubjectAccessReviews are decoded without
// reflection when they have the shape the host sends, and admission and authorization answers
// are encoded without it.
//
// guest imports abi and the standard library only. Its exports and imports exist only when
// GOOS=wasip1; on other platforms the package offers Register and Lookup alone, so a plugin
// package that registers itself still builds and tests natively.
package guest
