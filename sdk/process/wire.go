package process

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/kapi-dev/kapi/abi"
)

// The process contract of abi/SPEC.md section 5, spelled once: the host runtime (host/process)
// imports these names and encodings, so the two sides cannot drift apart.

// Handshake is the go-plugin handshake both sides must agree on. ProtocolVersion is the ABI's
// major version: a plugin built against another major ABI fails the handshake, naming both
// versions.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  abi.VersionMajor,
	MagicCookieKey:   "KAPI_PLUGIN",
	MagicCookieValue: "5b3c8f2e-kapi-abi",
}

// PluginKey is the key of kapi's plugin in go-plugin's plugin set.
const PluginKey = "kapi"

// Service names, as a .proto file would declare them in package kapi.abi.v1.
const (
	PluginService = "kapi.abi.v1.Plugin"
	HostService   = "kapi.abi.v1.Host"
)

// Methods of the Plugin service. Each takes and returns Bytes { bytes data = 1; }, whose wire
// form is that of google.protobuf.BytesValue.
const (
	MethodProvision    = "Provision"
	MethodAuthenticate = "Authenticate"
	MethodAuthorize    = "Authorize"
	MethodAdmit        = "Admit"
	MethodValidate     = "Validate"
	MethodClose        = "Close"
)

// Methods of the Host service, served by the host over go-plugin's broker.
const (
	MethodLog         = "Log"
	MethodGetObject   = "GetObject"
	MethodListObjects = "ListObjects"
	MethodHTTP        = "HTTP"
	MethodNow         = "Now"
)

// FullMethod is the gRPC path of a method: "/kapi.abi.v1.Plugin/Authorize".
func FullMethod(service, method string) string { return "/" + service + "/" + method }

// CallMethod is the Plugin service method that serves a kind's calls.
func CallMethod(k abi.Kind) string {
	switch k {
	case abi.KindAuthenticator:
		return MethodAuthenticate
	case abi.KindAuthorizer:
		return MethodAuthorize
	case abi.KindMutatingAdmission:
		return MethodAdmit
	case abi.KindValidatingAdmission:
		return MethodValidate
	}
	return ""
}

// PanicMessage starts the message of the Internal status a call answers when the plugin panicked
// in it (and Serve recovered): the host fails that call as a trap and keeps the process.
const PanicMessage = "plugin panicked"

// MaxMessageBytes bounds one message in either direction. gRPC's default of 4 MiB is less than an
// AdmissionReview of an update may carry (object and oldObject, each up to etcd's 1.5 MiB, plus
// base64 growth in patches).
const MaxMessageBytes = 64 << 20

// EncodeProvision builds Provision's request: the host service's broker ID (uint32, little
// endian) followed by the configuration JSON.
func EncodeProvision(brokerID uint32, config []byte) []byte {
	b := make([]byte, 4, 4+len(config))
	binary.LittleEndian.PutUint32(b, brokerID)
	return append(b, config...)
}

// DecodeProvision splits Provision's request into the broker ID and the configuration JSON.
func DecodeProvision(b []byte) (brokerID uint32, config []byte, err error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("provision request of %d bytes: want at least 4 (the host broker ID)", len(b))
	}
	return binary.LittleEndian.Uint32(b), b[4:], nil
}

// EncodeLog builds Log's request: one byte of level, then the UTF-8 text.
func EncodeLog(level abi.LogLevel, message string) []byte {
	b := make([]byte, 1, 1+len(message))
	b[0] = byte(level)
	return append(b, message...)
}

// DecodeLog splits Log's request into level and text.
func DecodeLog(b []byte) (abi.LogLevel, string, error) {
	if len(b) == 0 {
		return 0, "", errors.New("log request is empty: want one byte of level, then the text")
	}
	return abi.LogLevel(b[0]), string(b[1:]), nil
}

// EncodeNow builds Now's answer: Unix nanoseconds, 8 bytes little endian.
func EncodeNow(t time.Time) []byte {
	return binary.LittleEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

// DecodeNow reads Now's answer.
func DecodeNow(b []byte) (time.Time, error) {
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("now answer of %d bytes: want 8", len(b))
	}
	return time.Unix(0, int64(binary.LittleEndian.Uint64(b))), nil
}

// hostCodes maps host error codes to gRPC codes and back (SPEC.md section 5).
var hostCodes = []struct {
	host abi.HostErrorCode
	grpc codes.Code
}{
	{abi.HostErrNotFound, codes.NotFound},
	{abi.HostErrNotPermitted, codes.PermissionDenied},
	{abi.HostErrBadRequest, codes.InvalidArgument},
}

// HostErrorStatus turns a host service's error into the gRPC status that carries it.
func HostErrorStatus(he *abi.HostError) error {
	for _, c := range hostCodes {
		if c.host == he.Code {
			return status.Error(c.grpc, he.Message)
		}
	}
	return status.Error(codes.Internal, he.Message)
}

// StatusHostError turns a Host service call's error back into an *abi.HostError, so that
// errors.Is(err, abi.ErrNotFound) works in a plugin as it does natively.
func StatusHostError(err error) *abi.HostError {
	st, ok := status.FromError(err)
	if !ok {
		return &abi.HostError{Code: abi.HostErrInternal, Message: err.Error()}
	}
	for _, c := range hostCodes {
		if c.grpc == st.Code() {
			return &abi.HostError{Code: c.host, Message: st.Message()}
		}
	}
	return &abi.HostError{Code: abi.HostErrInternal, Message: st.Message()}
}

// BytesHandler serves one method of a service whose methods take and return Bytes: srv is the
// service's implementation as registered with the gRPC server, req and the answer the data.
type BytesHandler func(srv any, ctx context.Context, req []byte) ([]byte, error)

// BytesMethod describes a method of service (the Plugin or the Host service) for its
// grpc.ServiceDesc: it decodes the request's Bytes, runs handle (through the server's
// interceptor, if it has one) and encodes the answer's Bytes. An error from handle is the call's
// answer as it is, so it should be a gRPC status.
func BytesMethod(service, name string, handle BytesHandler) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.BytesValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		run := func(ctx context.Context, req any) (any, error) {
			out, err := handle(srv, ctx, req.(*wrapperspb.BytesValue).GetValue())
			if err != nil {
				return nil, err
			}
			return wrapperspb.Bytes(out), nil
		}
		if icpt == nil {
			return run(ctx, in)
		}
		return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: FullMethod(service, name)}, run)
	}}
}
