package discovery

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	apidiscoveryv2beta1 "k8s.io/api/apidiscovery/v2beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/status"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/discovery"
)

// Handler serves the discovery endpoints of one registry. Its methods are http.HandlerFuncs (or
// take the path's parts as arguments, for the router to pass).
type Handler struct {
	reg           *registry.Registry
	serverAddress func(r *http.Request) string

	mu   sync.Mutex
	gen  uint64    // counts registry changes
	snap *snapshot // nil after a change, until the next request rebuilds it
}

// snapshot is the discovery documents of one registry state, encoded.
type snapshot struct {
	doc *discovery.Document
	// aggregated bodies by path ("/api", "/apis") and form.
	aggregated map[string]map[form]body
	// legacy bodies by path, for every path but /api (whose body names the client's address).
	legacy map[string]body
}

// body is an encoded document and its ETag (unquoted).
type body struct {
	data []byte
	etag string
}

// NewHandler returns a handler that serves reg's discovery documents, following every change to
// reg. serverAddress gives the host:port that /api reports to a client (kube reports the address
// the client reached it on, for clientCIDR 0.0.0.0/0).
func NewHandler(reg *registry.Registry, serverAddress func(r *http.Request) string) *Handler {
	h := &Handler{reg: reg, serverAddress: serverAddress}
	reg.OnChange(h.invalidate)
	return h
}

func (h *Handler) invalidate() {
	h.mu.Lock()
	h.gen++
	h.snap = nil
	h.mu.Unlock()
}

// current returns the snapshot of the registry's current contents, building it if a change
// dropped it. A snapshot built while another change happened is used for this request but not
// kept, so the next request sees the change.
func (h *Handler) current() (*snapshot, error) {
	h.mu.Lock()
	if s := h.snap; s != nil {
		h.mu.Unlock()
		return s, nil
	}
	gen := h.gen
	h.mu.Unlock()

	s, err := buildSnapshot(h.reg.Entries())
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.gen == gen && h.snap == nil {
		h.snap = s
	}
	h.mu.Unlock()
	return s, nil
}

func buildSnapshot(entries []*registry.Entry) (*snapshot, error) {
	doc := discovery.Build(entries)
	s := &snapshot{doc: doc, aggregated: map[string]map[form]body{}, legacy: map[string]body{}}

	for _, path := range []string{"/api", "/apis"} {
		v2 := doc.AggregatedCore()
		if path == "/apis" {
			v2 = doc.AggregatedGroups()
		}
		v2Body, err := encode(v2)
		if err != nil {
			return nil, fmt.Errorf("encoding aggregated discovery for %s: %w", path, err)
		}
		// v2beta1 has v2's shape; only apiVersion differs. kube's ETag hashes the v2 document
		// whatever form is served (Vary: Accept keeps caches apart).
		v2.APIVersion = apidiscoveryv2beta1.SchemeGroupVersion.String()
		v2beta1Data, err := json.Marshal(v2)
		if err != nil {
			return nil, fmt.Errorf("encoding aggregated discovery for %s: %w", path, err)
		}
		s.aggregated[path] = map[form]body{
			formAggregatedV2:      v2Body,
			formAggregatedV2Beta1: {data: v2beta1Data, etag: v2Body.etag},
		}
	}

	add := func(path string, obj interface{}) error {
		b, err := encode(obj)
		if err != nil {
			return fmt.Errorf("encoding discovery for %s: %w", path, err)
		}
		s.legacy[path] = b
		return nil
	}
	if err := add("/apis", doc.APIGroupList()); err != nil {
		return nil, err
	}
	for _, gv := range doc.GroupVersions() {
		list, _ := doc.APIResourceList(gv.Group, gv.Version)
		if err := add(groupVersionPath(gv), list); err != nil {
			return nil, err
		}
		if gv.Group == "" {
			continue
		}
		if _, ok := s.legacy["/apis/"+gv.Group]; !ok {
			g, _ := doc.APIGroup(gv.Group)
			if err := add("/apis/"+gv.Group, g); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func groupVersionPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return "/apis/" + gv.Group + "/" + gv.Version
}

func encode(obj interface{}) (body, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return body{}, err
	}
	return body{data: data, etag: fmt.Sprintf("%X", sha512.Sum512(data))}, nil
}

// ServeAPI serves /api: the core group's versions.
func (h *Handler) ServeAPI(w http.ResponseWriter, r *http.Request) {
	s, ok := h.snapshotOrError(w, r)
	if !ok {
		return
	}
	switch f := negotiate(r.Header.Get("Accept")); f {
	case formAggregatedV2, formAggregatedV2Beta1:
		writeAggregated(w, r, f, s.aggregated["/api"][f])
	case formLegacy:
		addr := ""
		if h.serverAddress != nil {
			addr = h.serverAddress(r)
		}
		b, err := encode(s.doc.APIVersions(addr))
		if err != nil {
			status.InternalError(w, r, err)
			return
		}
		writeLegacy(w, r, b)
	default:
		notAcceptable(w, r)
	}
}

// ServeAPIs serves /apis: every group but the core group.
func (h *Handler) ServeAPIs(w http.ResponseWriter, r *http.Request) {
	s, ok := h.snapshotOrError(w, r)
	if !ok {
		return
	}
	switch f := negotiate(r.Header.Get("Accept")); f {
	case formAggregatedV2, formAggregatedV2Beta1:
		writeAggregated(w, r, f, s.aggregated["/apis"][f])
	case formLegacy:
		writeLegacy(w, r, s.legacy["/apis"])
	default:
		notAcceptable(w, r)
	}
}

// ServeGroup serves /apis/GROUP, taking the group from the path's last segment.
func (h *Handler) ServeGroup(w http.ResponseWriter, r *http.Request) {
	h.serveLegacy(w, r, "/apis/"+lastSegment(r.URL.Path))
}

// ServeGroupNamed serves /apis/GROUP for a router that has parsed the group.
func (h *Handler) ServeGroupNamed(w http.ResponseWriter, r *http.Request, group string) {
	h.serveLegacy(w, r, "/apis/"+group)
}

// ServeGroupVersion serves /api/VERSION (group "") and /apis/GROUP/VERSION.
func (h *Handler) ServeGroupVersion(w http.ResponseWriter, r *http.Request, group, version string) {
	h.serveLegacy(w, r, groupVersionPath(schema.GroupVersion{Group: group, Version: version}))
}

func (h *Handler) serveLegacy(w http.ResponseWriter, r *http.Request, path string) {
	s, ok := h.snapshotOrError(w, r)
	if !ok {
		return
	}
	b, found := s.legacy[path]
	if !found {
		notFound(w, r)
		return
	}
	if negotiate(r.Header.Get("Accept")) == formNone {
		notAcceptable(w, r)
		return
	}
	writeLegacy(w, r, b)
}

func (h *Handler) snapshotOrError(w http.ResponseWriter, r *http.Request) (*snapshot, bool) {
	s, err := h.current()
	if err != nil {
		status.InternalError(w, r, err)
		return nil, false
	}
	return s, true
}

func lastSegment(path string) string {
	for len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

// writeAggregated writes an aggregated document as kube's ServeHTTPWithETag does: ETag,
// Vary: Accept and Cache-Control: public, and 304 when If-None-Match names the ETag.
func writeAggregated(w http.ResponseWriter, r *http.Request, f form, b body) {
	contentType := contentTypeAggregatedV2
	if f == formAggregatedV2Beta1 {
		contentType = contentTypeAggregatedV2Beta1
	}
	h := w.Header()
	h.Set("Cache-Control", "public")
	writeWithETag(w, r, contentType, b)
}

func writeLegacy(w http.ResponseWriter, r *http.Request, b body) {
	writeWithETag(w, r, "application/json", b)
}

func writeWithETag(w http.ResponseWriter, r *http.Request, contentType string, b body) {
	h := w.Header()
	quoted := strconv.Quote(b.etag)
	h.Set("ETag", quoted)
	h.Set("Vary", "Accept")
	if r.Header.Get("If-None-Match") == quoted {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.data)
	}
}

// notFound writes kube's answer for a discovery path it does not serve (an unknown group or
// version): the generic 404 Status of its not-found handler.
func notFound(w http.ResponseWriter, r *http.Request) {
	status.Write(w, r, apierrors.NewGenericServerResponse(http.StatusNotFound, "get", schema.GroupResource{}, "", "", 0, false))
}

// notAcceptable writes the 406 kube's content negotiation answers when no clause of Accept can
// be served.
func notAcceptable(w http.ResponseWriter, r *http.Request) {
	status.Write(w, r, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: "only the following media types are accepted: application/json, " + contentTypeAggregatedV2,
	}})
}
