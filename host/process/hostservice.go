package process

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	sdkprocess "github.com/kapi-dev/kapi/sdk/process"
)

// hostServer serves kapi.abi.v1.Host (SPEC.md section 5) to one plugin process, over go-plugin's
// broker, by calling the plugin's abi.Host, which enforces the manifest's capabilities.
type hostServer struct {
	host func() abi.Host
}

type hostCall func(h abi.Host, ctx context.Context, req []byte) ([]byte, error)

var hostServiceDesc = grpc.ServiceDesc{
	ServiceName: sdkprocess.HostService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		hostMethod(sdkprocess.MethodLog, hostLog),
		hostMethod(sdkprocess.MethodGetObject, hostGetObject),
		hostMethod(sdkprocess.MethodListObjects, hostListObjects),
		hostMethod(sdkprocess.MethodHTTP, hostHTTP),
		hostMethod(sdkprocess.MethodNow, hostNow),
	},
	Metadata: "kapi/abi/v1/host.proto",
}

// hostMethod adapts a host call to gRPC's method handler, answering a failure with the gRPC
// status of its abi.HostError.
func hostMethod(name string, f hostCall) grpc.MethodDesc {
	return sdkprocess.BytesMethod(sdkprocess.HostService, name, func(srv any, ctx context.Context, req []byte) ([]byte, error) {
		out, err := f(srv.(*hostServer).host(), ctx, req)
		if err != nil {
			return nil, sdkprocess.HostErrorStatus(pluginapi.HostErrorOf(err))
		}
		return out, nil
	})
}

func badHostRequest(what string, err error) error {
	return &abi.HostError{Code: abi.HostErrBadRequest, Message: fmt.Sprintf("%s: malformed request: %v", what, err)}
}

func hostLog(h abi.Host, _ context.Context, req []byte) ([]byte, error) {
	level, msg, err := sdkprocess.DecodeLog(req)
	if err != nil {
		return nil, badHostRequest("log", err)
	}
	h.Log(level, msg)
	return nil, nil
}

func decodeObjectRequest(what string, req []byte) (abi.ObjectRequest, error) {
	var r abi.ObjectRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return r, badHostRequest(what, err)
	}
	return r, nil
}

func hostGetObject(h abi.Host, ctx context.Context, req []byte) ([]byte, error) {
	r, err := decodeObjectRequest("get_object", req)
	if err != nil {
		return nil, err
	}
	return h.GetObject(ctx, r.Resource, r.Namespace, r.Name)
}

func hostListObjects(h abi.Host, ctx context.Context, req []byte) ([]byte, error) {
	r, err := decodeObjectRequest("list_objects", req)
	if err != nil {
		return nil, err
	}
	return h.ListObjects(ctx, r.Resource, r.Namespace, r.LabelSelector)
}

func hostHTTP(h abi.Host, ctx context.Context, req []byte) ([]byte, error) {
	var r abi.HTTPRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, badHostRequest("http", err)
	}
	resp, err := h.HTTP(ctx, r)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, &abi.HostError{Code: abi.HostErrInternal, Message: "http: encoding the response: " + err.Error()}
	}
	return out, nil
}

func hostNow(h abi.Host, _ context.Context, _ []byte) ([]byte, error) {
	return sdkprocess.EncodeNow(h.Now()), nil
}
