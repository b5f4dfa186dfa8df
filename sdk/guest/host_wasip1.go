//go:build wasip1

package guest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"

	"github.com/kapi-dev/kapi/abi"
)

//go:wasmimport kapi log
func hostLog(level uint32, ptr unsafe.Pointer, size uint32)

//go:wasmimport kapi now
func hostNow() int64

//go:wasmimport kapi get_object
func hostGetObject(ptr unsafe.Pointer, size uint32) uint64

//go:wasmimport kapi list_objects
func hostListObjects(ptr unsafe.Pointer, size uint32) uint64

//go:wasmimport kapi http
func hostHTTP(ptr unsafe.Pointer, size uint32) uint64

//go:wasmimport kapi take_result
func hostTakeResult(ptr unsafe.Pointer)

// wasmHost is the abi.Host a guest's plugin gets: each method is a host-function call.
type wasmHost struct{}

func (wasmHost) Log(level abi.LogLevel, message string) {
	b := []byte(message)
	if len(b) == 0 {
		return
	}
	hostLog(uint32(level), unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)))
}

func (wasmHost) Now() time.Time { return time.Unix(0, hostNow()) }

// hostCall makes a host call with a JSON request and collects its two-step result (SPEC.md 3.5).
func hostCall(fn func(unsafe.Pointer, uint32) uint64, request any) ([]byte, error) {
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("encoding host request: %w", err)
	}
	code, size := abi.UnpackPtrLen(fn(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req))))
	var result []byte
	if size > 0 {
		result = make([]byte, size)
		hostTakeResult(unsafe.Pointer(unsafe.SliceData(result)))
	}
	if code != 0 {
		return nil, &abi.HostError{Code: abi.HostErrorCode(code), Message: string(result)}
	}
	return result, nil
}

func (wasmHost) GetObject(_ context.Context, r abi.GroupVersionResource, namespace, name string) ([]byte, error) {
	return hostCall(hostGetObject, abi.ObjectRequest{Resource: r, Namespace: namespace, Name: name})
}

func (wasmHost) ListObjects(_ context.Context, r abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error) {
	return hostCall(hostListObjects, abi.ObjectRequest{Resource: r, Namespace: namespace, LabelSelector: labelSelector})
}

func (wasmHost) HTTP(_ context.Context, req abi.HTTPRequest) (abi.HTTPResponse, error) {
	out, err := hostCall(hostHTTP, req)
	if err != nil {
		return abi.HTTPResponse{}, err
	}
	var resp abi.HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return abi.HTTPResponse{}, fmt.Errorf("decoding host HTTP response: %w", err)
	}
	return resp, nil
}
