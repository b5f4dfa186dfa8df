//go:build wasip1

package guest

import (
	"bytes"
	"context"
	"encoding/json"
	"unsafe"

	"github.com/kapi-dev/kapi/abi"
)

// request is the buffer kapi_alloc lends for requests, reused from call to call: a call's
// request is garbage once the call has answered (RawValidator and RawMutator say so, and decoding
// copies), so one buffer serves every call that fits, and the guest's collector is spared a 4 KB
// allocation per call, which was most of its work. requestLent is set from kapi_alloc to the end
// of the export call that takes the buffer.
var (
	request     []byte
	requestLent bool
)

// Requests up to maxReusedRequest bytes use the reused buffer, which starts at minRequestBuffer;
// a larger request gets a buffer of its own, so that one huge review does not stay in memory.
const (
	minRequestBuffer = 16 << 10
	maxReusedRequest = 1 << 20
)

// buffers keeps every other buffer handed out by kapi_alloc alive (Go's collector does not move
// objects, so a live slice's address is stable) until the guest takes it back.
var buffers = map[uint32][]byte{}

// answer is the last call's answer; SPEC.md says it stays valid until the next export call, so
// each call appends its answer to the previous one's buffer.
var answer []byte

func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

//go:wasmexport kapi_abi_version
func kapiABIVersion() uint32 { return abi.PackedVersion }

//go:wasmexport kapi_alloc
func kapiAlloc(size uint32) uint32 {
	if !requestLent && size <= maxReusedRequest {
		if int(size) > len(request) {
			request = make([]byte, max(size, minRequestBuffer))
		}
		requestLent = true
		return addr(request)
	}
	b := make([]byte, max(size, 1))
	p := addr(b)
	buffers[p] = b
	return p
}

//go:wasmexport kapi_free
func kapiFree(ptr, _ uint32) {
	if requestLent && ptr == addr(request) {
		requestLent = false
		return
	}
	delete(buffers, ptr)
}

// take returns the request the host wrote into a buffer from kapi_alloc, taking ownership of it.
// The reused buffer stays lent until the call ends (see call).
func take(ptr, size uint32) []byte {
	if requestLent && ptr == addr(request) && int(size) <= len(request) {
		return request[:size]
	}
	b, ok := buffers[ptr]
	if !ok || int(size) > len(b) {
		panic("kapi: request buffer was not allocated by kapi_alloc")
	}
	delete(buffers, ptr)
	return b[:size]
}

// call serves one call export: the answer goes to the previous answer's buffer, and the request
// buffer is free again once the answer is made.
func call(export string, ptr, size uint32) uint64 {
	out := dispatch(export, take(ptr, size), answer[:0])
	requestLent = false
	return reply(out)
}

func reply(b []byte) uint64 {
	answer = b
	return abi.PackPtrLen(addr(b), uint32(len(b)))
}

//go:wasmexport kapi_provision
func kapiProvision(ptr, size uint32) uint64 {
	config := bytes.Clone(take(ptr, size)) // the plugin may keep it
	requestLent = false
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
	return call(abi.ExportAuthenticate, ptr, size)
}

//go:wasmexport kapi_authorize
func kapiAuthorize(ptr, size uint32) uint64 {
	return call(abi.ExportAuthorize, ptr, size)
}

//go:wasmexport kapi_admit
func kapiAdmit(ptr, size uint32) uint64 {
	return call(abi.ExportAdmit, ptr, size)
}

//go:wasmexport kapi_validate
func kapiValidate(ptr, size uint32) uint64 {
	return call(abi.ExportValidate, ptr, size)
}
