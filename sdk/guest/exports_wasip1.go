//go:build wasip1

package guest

import (
	"context"
	"encoding/json"
	"unsafe"

	"github.com/kapi-dev/kapi/abi"
)

// buffers keeps every buffer handed out by kapi_alloc alive (Go's collector does not move
// objects, so a live slice's address is stable) until the guest takes it back.
var buffers = map[uint32][]byte{}

// answer is the last call's answer; SPEC.md says it stays valid until the next export call.
var answer []byte

func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

//go:wasmexport kapi_abi_version
func kapiABIVersion() uint32 { return abi.PackedVersion }

//go:wasmexport kapi_alloc
func kapiAlloc(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	p := addr(b)
	buffers[p] = b
	return p
}

//go:wasmexport kapi_free
func kapiFree(ptr, _ uint32) { delete(buffers, ptr) }

// take returns the request the host wrote into a buffer from kapi_alloc, taking ownership of it.
func take(ptr, size uint32) []byte {
	b, ok := buffers[ptr]
	if !ok || int(size) > len(b) {
		panic("kapi: request buffer was not allocated by kapi_alloc")
	}
	delete(buffers, ptr)
	return b[:size]
}

func reply(b []byte) uint64 {
	answer = b
	return abi.PackPtrLen(addr(b), uint32(len(b)))
}

//go:wasmexport kapi_provision
func kapiProvision(ptr, size uint32) uint64 {
	config := take(ptr, size)
	if registered.plugin == nil {
		return reply([]byte(`{"error":"no plugin registered: call guest.Register from init"}`))
	}
	if err := registered.plugin.Provision(context.Background(), config, wasmHost{}); err != nil {
		b, _ := json.Marshal(abi.ErrorAnswer{Error: err.Error()})
		return reply(b)
	}
	return 0
}

//go:wasmexport kapi_close
func kapiClose() {
	if registered.plugin != nil {
		_ = registered.plugin.Close()
	}
}

//go:wasmexport kapi_authenticate
func kapiAuthenticate(ptr, size uint32) uint64 {
	return reply(dispatch(abi.ExportAuthenticate, take(ptr, size)))
}

//go:wasmexport kapi_authorize
func kapiAuthorize(ptr, size uint32) uint64 {
	return reply(dispatch(abi.ExportAuthorize, take(ptr, size)))
}

//go:wasmexport kapi_admit
func kapiAdmit(ptr, size uint32) uint64 {
	return reply(dispatch(abi.ExportAdmit, take(ptr, size)))
}

//go:wasmexport kapi_validate
func kapiValidate(ptr, size uint32) uint64 {
	return reply(dispatch(abi.ExportValidate, take(ptr, size)))
}
