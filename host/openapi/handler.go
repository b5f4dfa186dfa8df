package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	openapi_v3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/status"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/openapi"
)

// Media types of the OpenAPI documents, as kube-apiserver negotiates them. The "@" forms are
// what clients send; the "." forms are what kube answers with (and also accepts).
var (
	v2Offers = []offer{
		{subtype: "json", contentType: "application/json"},
		{subtype: "com.github.proto-openapi.spec.v2@v1.0+protobuf", contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"},
		{subtype: "com.github.proto-openapi.spec.v2.v1.0+protobuf", contentType: "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"},
	}
	v3Offers = []offer{
		{subtype: "json", contentType: "application/json"},
		{subtype: "com.github.proto-openapi.spec.v3.v1.0+protobuf", contentType: "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"},
		{subtype: "com.github.proto-openapi.spec.v3@v1.0+protobuf", contentType: "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"},
	}
)

// Handler serves the OpenAPI documents of one registry.
type Handler struct {
	reg *registry.Registry

	mu   sync.Mutex
	gen  uint64
	snap *snapshot
}

// NewHandler returns a handler serving reg's OpenAPI documents, following every change to reg.
func NewHandler(reg *registry.Registry) *Handler {
	h := &Handler{reg: reg}
	reg.OnChange(func() {
		h.mu.Lock()
		h.gen++
		h.snap = nil
		h.mu.Unlock()
	})
	return h
}

// current returns the snapshot of the registry's current contents; see host/discovery for why
// a snapshot taken during a change is used but not kept.
func (h *Handler) current() *snapshot {
	h.mu.Lock()
	if s := h.snap; s != nil {
		h.mu.Unlock()
		return s
	}
	gen := h.gen
	h.mu.Unlock()

	s := newSnapshot(h.reg.Entries())
	h.mu.Lock()
	if h.gen == gen && h.snap == nil {
		h.snap = s
	}
	h.mu.Unlock()
	return s
}

// snapshot holds the documents of one registry state, each built on first use.
type snapshot struct {
	entries []*registry.Entry
	built   time.Time

	v2      lazy
	v3      map[string]*lazy // by path: "api/v1", "apis/apps/v1"
	v3Order []string
	index   lazy
}

// lazy is one document, built and encoded once.
type lazy struct {
	once  sync.Once
	build func() (*encoded, error)
	doc   *encoded
	err   error
}

func (l *lazy) get() (*encoded, error) {
	l.once.Do(func() { l.doc, l.err = l.build() })
	return l.doc, l.err
}

// encoded is a document in each form it is served in.
type encoded struct {
	json     []byte
	jsonGzip []byte // v2 only
	proto    []byte // nil for the v3 index
	etag     string
}

func newSnapshot(entries []*registry.Entry) *snapshot {
	s := &snapshot{entries: entries, built: time.Now(), v3: map[string]*lazy{}}
	s.v2.build = s.buildV2
	s.v3Order = openapi.V3Paths(entries)
	for _, path := range s.v3Order {
		path := path
		s.v3[path] = &lazy{build: func() (*encoded, error) { return s.buildV3(path) }}
	}
	s.index.build = s.buildIndex
	return s
}

func (s *snapshot) buildV2() (*encoded, error) {
	data, err := json.Marshal(openapi.BuildV2(s.entries))
	if err != nil {
		return nil, fmt.Errorf("encoding OpenAPI v2: %w", err)
	}
	doc, err := openapi_v2.ParseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("converting OpenAPI v2 to protobuf: %w", err)
	}
	pb, err := proto.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("converting OpenAPI v2 to protobuf: %w", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("compressing OpenAPI v2: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing OpenAPI v2: %w", err)
	}
	return &encoded{json: data, jsonGzip: gz.Bytes(), proto: pb, etag: etagOf(data)}, nil
}

func (s *snapshot) buildV3(path string) (*encoded, error) {
	doc, ok := openapi.BuildV3(s.entries, path)
	if !ok {
		return nil, fmt.Errorf("no OpenAPI v3 document for %s", path)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding OpenAPI v3 for %s: %w", path, err)
	}
	pbDoc, err := openapi_v3.ParseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("converting OpenAPI v3 for %s to protobuf: %w", path, err)
	}
	pb, err := proto.Marshal(pbDoc)
	if err != nil {
		return nil, fmt.Errorf("converting OpenAPI v3 for %s to protobuf: %w", path, err)
	}
	return &encoded{json: data, proto: pb, etag: etagOf(data)}, nil
}

// v3Index is the /openapi/v3 document (kube-openapi's handler3.OpenAPIV3Discovery).
type v3Index struct {
	Paths map[string]v3IndexEntry `json:"paths"`
}

type v3IndexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

func (s *snapshot) buildIndex() (*encoded, error) {
	index := v3Index{Paths: map[string]v3IndexEntry{}}
	for _, path := range s.v3Order {
		doc, err := s.v3[path].get()
		if err != nil {
			return nil, err
		}
		index.Paths[path] = v3IndexEntry{ServerRelativeURL: v3URL(path, doc.etag)}
	}
	data, err := json.Marshal(index)
	if err != nil {
		return nil, fmt.Errorf("encoding the OpenAPI v3 index: %w", err)
	}
	return &encoded{json: data, etag: etagOf(data)}, nil
}

func v3URL(path, etag string) string {
	return "/openapi/v3/" + path + "?" + url.Values{"hash": {etag}}.Encode()
}

func etagOf(data []byte) string {
	return fmt.Sprintf("%X", sha512.Sum512(data))
}

// ServeV2 serves /openapi/v2.
func (h *Handler) ServeV2(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	i := choose(r.Header.Get("Accept"), v2Offers)
	if i < 0 {
		notAcceptable(w, r, v2Offers)
		return
	}
	s := h.current()
	doc, err := s.v2.get()
	if err != nil {
		status.InternalError(w, r, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", v2Offers[i].contentType)
	hdr.Set("ETag", strconv.Quote(doc.etag))
	data := doc.proto
	if i == 0 {
		data = doc.json
		// kube wraps /openapi/v2 in a gzip handler; the JSON is large and compresses tenfold.
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hdr.Set("Content-Encoding", "gzip")
			data = doc.jsonGzip
		}
	}
	http.ServeContent(w, r, "", s.built, bytes.NewReader(data))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// ServeV3Index serves /openapi/v3: each group/version's document path with its hash.
func (h *Handler) ServeV3Index(w http.ResponseWriter, r *http.Request) {
	s := h.current()
	doc, err := s.index.get()
	if err != nil {
		status.InternalError(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(doc.etag))
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "", s.built, bytes.NewReader(doc.json))
}

// ServeV3 serves /openapi/v3/PATH, PATH being "api/v1" or "apis/GROUP/VERSION". With ?hash=
// naming the current document the response may be cached forever; a stale hash is redirected
// to the current one, as kube does.
func (h *Handler) ServeV3(w http.ResponseWriter, r *http.Request, path string) {
	path = strings.Trim(path, "/")
	w.Header().Add("Vary", "Accept")
	s := h.current()
	l, ok := s.v3[path]
	if !ok {
		status.Write(w, r, apierrors.NewGenericServerResponse(http.StatusNotFound, "get", schema.GroupResource{}, "", "", 0, false))
		return
	}
	i := choose(r.Header.Get("Accept"), v3Offers)
	if i < 0 {
		notAcceptable(w, r, v3Offers)
		return
	}
	doc, err := l.get()
	if err != nil {
		status.InternalError(w, r, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", v3Offers[i].contentType)
	hdr.Set("ETag", strconv.Quote(doc.etag))
	if hash := r.URL.Query().Get("hash"); hash != "" {
		if hash != doc.etag {
			http.Redirect(w, r, v3URL(path, doc.etag), http.StatusMovedPermanently)
			return
		}
		hdr.Set("Cache-Control", "public, immutable")
		hdr.Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	}
	data := doc.json
	if i > 0 {
		data = doc.proto
	}
	http.ServeContent(w, r, "", s.built, bytes.NewReader(data))
}

func notAcceptable(w http.ResponseWriter, r *http.Request, offers []offer) {
	var types []string
	for _, o := range offers {
		types = append(types, "application/"+o.subtype)
	}
	status.Write(w, r, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: "only the following media types are accepted: " + strings.Join(types, ", "),
	}})
}
