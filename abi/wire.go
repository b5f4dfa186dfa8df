package abi

import "strconv"

// Names and encodings of the WebAssembly contract (SPEC.md section 3), shared by the host's Wasm
// runtime and the guest SDK so that neither spells them on its own.

// Exports a guest provides.
const (
	ExportMemory       = "memory"
	ExportABIVersion   = "kapi_abi_version"
	ExportAlloc        = "kapi_alloc"
	ExportFree         = "kapi_free"
	ExportInitialize   = "_initialize"
	ExportProvision    = "kapi_provision"
	ExportClose        = "kapi_close"
	ExportAuthenticate = "kapi_authenticate"
	ExportAuthorize    = "kapi_authorize"
	ExportAdmit        = "kapi_admit"
	ExportValidate     = "kapi_validate"
)

// HostModule is the import module name of the host functions.
const HostModule = "kapi"

// Host functions a guest may import from HostModule.
const (
	ImportLog         = "log"
	ImportNow         = "now"
	ImportGetObject   = "get_object"
	ImportListObjects = "list_objects"
	ImportHTTP        = "http"
	ImportTakeResult  = "take_result"
)

// CallExport returns the call export a guest of the given kind provides.
func CallExport(k Kind) string {
	switch k {
	case KindAuthenticator:
		return ExportAuthenticate
	case KindAuthorizer:
		return ExportAuthorize
	case KindMutatingAdmission:
		return ExportAdmit
	case KindValidatingAdmission:
		return ExportValidate
	}
	return ""
}

// PackedVersion is the value kapi_abi_version returns for this package's version.
const PackedVersion = VersionMajor<<16 | VersionMinor

// UnpackVersion splits kapi_abi_version's answer into "MAJOR.MINOR".
func UnpackVersion(v uint32) string {
	return strconv.Itoa(int(v>>16)) + "." + strconv.Itoa(int(v&0xffff))
}

// PackPtrLen packs a pointer and a length into the i64 an export or host function returns.
func PackPtrLen(ptr, length uint32) uint64 { return uint64(ptr)<<32 | uint64(length) }

// UnpackPtrLen splits a packed i64 into pointer (or code) and length.
func UnpackPtrLen(v uint64) (ptr, length uint32) { return uint32(v >> 32), uint32(v) }

// ErrorAnswer is the error envelope a plugin answers with instead of an answer when the call
// failed (SPEC.md section 2).
type ErrorAnswer struct {
	Error string `json:"error"`
}

// ObjectRequest is the request JSON of the get_object and list_objects host functions.
type ObjectRequest struct {
	Resource      GroupVersionResource `json:"resource"`
	Namespace     string               `json:"namespace,omitempty"`
	Name          string               `json:"name,omitempty"`
	LabelSelector string               `json:"labelSelector,omitempty"`
}
