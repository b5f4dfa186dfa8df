package abi

import (
	"context"
	"time"
)

// Host is what a plugin may ask of the server, the same in every mode: built-ins get it directly,
// Wasm guests through host-function imports, process plugins over go-plugin's broker. A plugin gets
// nothing else: no filesystem, network or environment.
type Host interface {
	// Log writes a line to the server log, tagged with the plugin's name.
	Log(level LogLevel, message string)
	// GetObject returns one object as JSON, from the watch cache. Only resources the plugin's
	// manifest declares may be read; anything else is ErrNotPermitted. A missing object is
	// ErrNotFound.
	GetObject(ctx context.Context, resource GroupVersionResource, namespace, name string) ([]byte, error)
	// ListObjects returns a list (kind ...List) as JSON, from the watch cache, filtered by an
	// optional label selector in Kubernetes syntax.
	ListObjects(ctx context.Context, resource GroupVersionResource, namespace, labelSelector string) ([]byte, error)
	// HTTP performs an outbound request, only to hosts the manifest declares.
	HTTP(ctx context.Context, req HTTPRequest) (HTTPResponse, error)
	// Now is the host's clock.
	Now() time.Time
}

// LogLevel is a log line's severity.
type LogLevel int32

// Log levels.
const (
	LogDebug LogLevel = 0
	LogInfo  LogLevel = 1
	LogWarn  LogLevel = 2
	LogError LogLevel = 3
)

// HTTPRequest is an outbound request a plugin asks the host to make.
type HTTPRequest struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    []byte              `json:"body,omitempty"`
}

// HTTPResponse is the answer to an HTTPRequest.
type HTTPResponse struct {
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Body       []byte              `json:"body,omitempty"`
}

// HostError is an error a host service answers with; its Code travels across the ABI.
type HostError struct {
	Code    HostErrorCode
	Message string
}

func (e *HostError) Error() string { return e.Message }

// HostErrorCode classifies host service failures.
type HostErrorCode int32

// Host error codes, stable across the ABI.
const (
	HostErrInternal     HostErrorCode = 1
	HostErrNotFound     HostErrorCode = 2
	HostErrNotPermitted HostErrorCode = 3
	HostErrBadRequest   HostErrorCode = 4
)

// Sentinel host errors; compare with errors.Is on Code via IsHostError.
var (
	ErrNotFound     = &HostError{Code: HostErrNotFound, Message: "not found"}
	ErrNotPermitted = &HostError{Code: HostErrNotPermitted, Message: "not permitted by the plugin's manifest"}
)

// Is makes errors.Is match host errors by code.
func (e *HostError) Is(target error) bool {
	t, ok := target.(*HostError)
	return ok && t.Code == e.Code
}

// Kind is a plugin kind.
type Kind string

// Plugin kinds.
const (
	KindAuthenticator       Kind = "Authenticator"
	KindAuthorizer          Kind = "Authorizer"
	KindMutatingAdmission   Kind = "MutatingAdmission"
	KindValidatingAdmission Kind = "ValidatingAdmission"
)

// Plugin is the life cycle every plugin shares, in every mode. The host calls Provision once,
// with the plugin's configuration (JSON, decoded strictly: an unknown field is an error) and the
// host services, before any other call; then the kind's method (Authenticate, Authorize, Admit or
// Validate) any number of times, concurrently; then Close once.
//
// A plugin value also implements the interface of its kind (Authenticator, Authorizer,
// MutatingAdmission or ValidatingAdmission); a plugin may implement both admission interfaces.
type Plugin interface {
	Provision(ctx context.Context, config []byte, host Host) error
	Close() error
}
