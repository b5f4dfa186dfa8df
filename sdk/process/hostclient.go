package process

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/kapi-dev/kapi/abi"
)

// hostClient is the abi.Host a process plugin gets: each method is a call of the host's
// kapi.abi.v1.Host service over go-plugin's broker. The host enforces the manifest's capabilities;
// a refusal comes back as *abi.HostError with the host's code and message.
type hostClient struct {
	conn *grpc.ClientConn
}

// backgroundTimeout bounds the host calls that take no context (Log, Now).
const backgroundTimeout = 5 * time.Second

func (h *hostClient) invoke(ctx context.Context, method string, req []byte) ([]byte, error) {
	out := new(wrapperspb.BytesValue)
	if err := h.conn.Invoke(ctx, FullMethod(HostService, method), wrapperspb.Bytes(req), out); err != nil {
		return nil, StatusHostError(err)
	}
	return out.GetValue(), nil
}

// Log writes a line to the server log; a failure to deliver it is dropped, as a log line would be.
func (h *hostClient) Log(level abi.LogLevel, message string) {
	ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
	defer cancel()
	_, _ = h.invoke(ctx, MethodLog, EncodeLog(level, message))
}

func (h *hostClient) GetObject(ctx context.Context, r abi.GroupVersionResource, namespace, name string) ([]byte, error) {
	req, err := json.Marshal(abi.ObjectRequest{Resource: r, Namespace: namespace, Name: name})
	if err != nil {
		return nil, fmt.Errorf("encoding get_object request: %w", err)
	}
	return h.invoke(ctx, MethodGetObject, req)
}

func (h *hostClient) ListObjects(ctx context.Context, r abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error) {
	req, err := json.Marshal(abi.ObjectRequest{Resource: r, Namespace: namespace, LabelSelector: labelSelector})
	if err != nil {
		return nil, fmt.Errorf("encoding list_objects request: %w", err)
	}
	return h.invoke(ctx, MethodListObjects, req)
}

func (h *hostClient) HTTP(ctx context.Context, req abi.HTTPRequest) (abi.HTTPResponse, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return abi.HTTPResponse{}, fmt.Errorf("encoding http request: %w", err)
	}
	out, err := h.invoke(ctx, MethodHTTP, b)
	if err != nil {
		return abi.HTTPResponse{}, err
	}
	var resp abi.HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrInternal, Message: "http: host answered malformed JSON: " + err.Error()}
	}
	return resp, nil
}

// Now is the host's clock; if the host cannot be reached, the local clock (the same machine's)
// stands in.
func (h *hostClient) Now() time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
	defer cancel()
	out, err := h.invoke(ctx, MethodNow, nil)
	if err != nil {
		return time.Now()
	}
	t, err := DecodeNow(out)
	if err != nil {
		return time.Now()
	}
	return t
}
