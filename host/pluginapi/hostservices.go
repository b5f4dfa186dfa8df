package pluginapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kapi-dev/kapi/abi"
)

// ObjectReader reads objects for plugins, as JSON. The server implements it over the registry's
// watch cache; capability checks happen before it is called.
type ObjectReader interface {
	// Get returns one object; a missing one is abi.ErrNotFound.
	Get(ctx context.Context, resource abi.GroupVersionResource, namespace, name string) ([]byte, error)
	// List returns a list object (kind ...List), filtered by a label selector in Kubernetes syntax.
	List(ctx context.Context, resource abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error)
}

// MaxHTTPResponseBytes bounds the body a plugin's outbound HTTP call may read.
const MaxHTTPResponseBytes = 8 << 20

// NewHostServices returns the abi.Host a plugin gets: logging tagged with the plugin's name,
// object reads limited to the resources and verbs its manifest declares, outbound HTTP limited to
// the hosts it declares (redirects included), and the clock. With a nil reader a permitted get is
// ErrNotFound and a permitted list is empty; a nil client means a client with the plugin's timeout.
func NewHostServices(m *Manifest, logger *slog.Logger, reader ObjectReader, client *http.Client) abi.Host {
	if logger == nil {
		logger = slog.Default()
	}
	h := &hostServices{manifest: m, logger: logger.With("plugin", m.Name), reader: reader}
	base := client
	if base == nil {
		base = &http.Client{Timeout: m.Timeout()}
	}
	c := *base
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !h.hostAllowed(req.URL) {
			return fmt.Errorf("redirect to %s: %w", req.URL.Host, abi.ErrNotPermitted)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	h.client = &c
	return h
}

type hostServices struct {
	manifest *Manifest
	logger   *slog.Logger
	reader   ObjectReader
	client   *http.Client
}

var logLevels = map[abi.LogLevel]slog.Level{
	abi.LogDebug: slog.LevelDebug, abi.LogInfo: slog.LevelInfo, abi.LogWarn: slog.LevelWarn, abi.LogError: slog.LevelError,
}

func (h *hostServices) Log(level abi.LogLevel, message string) {
	l, ok := logLevels[level]
	if !ok {
		l = slog.LevelInfo
	}
	h.logger.Log(context.Background(), l, message)
}

func (h *hostServices) allowed(r abi.GroupVersionResource, verb string) bool {
	for _, c := range h.manifest.Capabilities.Resources {
		if c.Group == r.Group && c.Version == r.Version && c.Resource == r.Resource && slices.Contains(c.Verbs, verb) {
			return true
		}
	}
	return false
}

func notPermitted(what string) error {
	return &abi.HostError{Code: abi.HostErrNotPermitted, Message: what + ": not permitted by the plugin's manifest"}
}

func resourceString(r abi.GroupVersionResource) string {
	if r.Group == "" {
		return r.Version + "/" + r.Resource
	}
	return r.Group + "/" + r.Version + "/" + r.Resource
}

func (h *hostServices) GetObject(ctx context.Context, r abi.GroupVersionResource, namespace, name string) ([]byte, error) {
	if !h.allowed(r, "get") {
		return nil, notPermitted("get " + resourceString(r))
	}
	if name == "" {
		return nil, &abi.HostError{Code: abi.HostErrBadRequest, Message: "get " + resourceString(r) + ": name is required"}
	}
	if h.reader == nil {
		return nil, abi.ErrNotFound
	}
	return h.reader.Get(ctx, r, namespace, name)
}

func (h *hostServices) ListObjects(ctx context.Context, r abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error) {
	if !h.allowed(r, "list") {
		return nil, notPermitted("list " + resourceString(r))
	}
	if h.reader == nil {
		return []byte(`{"apiVersion":"v1","kind":"List","metadata":{},"items":[]}`), nil
	}
	return h.reader.List(ctx, r, namespace, labelSelector)
}

// hostAllowed reports whether the manifest lists u's host, either as "name" (any port) or as
// "name:port" (with the scheme's default port when u has none).
func (h *hostServices) hostAllowed(u *url.URL) bool {
	name := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	for _, allowed := range h.manifest.Capabilities.Hosts {
		allowed = strings.ToLower(allowed)
		if allowed == name || allowed == net.JoinHostPort(name, port) {
			return true
		}
	}
	return false
}

func (h *hostServices) HTTP(ctx context.Context, req abi.HTTPRequest) (abi.HTTPResponse, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrBadRequest, Message: fmt.Sprintf("http: bad URL %q", req.URL)}
	}
	if !h.hostAllowed(u) {
		return abi.HTTPResponse{}, notPermitted("http to " + u.Host)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrBadRequest, Message: "http: " + err.Error()}
	}
	for k, vs := range req.Headers {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	resp, err := h.client.Do(hreq)
	if err != nil {
		if errors.Is(err, abi.ErrNotPermitted) {
			return abi.HTTPResponse{}, notPermitted("http redirect")
		}
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrInternal, Message: "http: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxHTTPResponseBytes+1))
	if err != nil {
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrInternal, Message: "http: reading body: " + err.Error()}
	}
	if len(body) > MaxHTTPResponseBytes {
		return abi.HTTPResponse{}, &abi.HostError{Code: abi.HostErrInternal, Message: fmt.Sprintf("http: body larger than %d bytes", MaxHTTPResponseBytes)}
	}
	return abi.HTTPResponse{StatusCode: resp.StatusCode, Headers: resp.Header, Body: body}, nil
}

func (h *hostServices) Now() time.Time { return time.Now() }

// HostErrorOf classifies any error a host service returned into the code that crosses the ABI.
func HostErrorOf(err error) *abi.HostError {
	var he *abi.HostError
	if errors.As(err, &he) {
		return he
	}
	return &abi.HostError{Code: abi.HostErrInternal, Message: err.Error()}
}
