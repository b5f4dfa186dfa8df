package rest

import (
	"context"
	"net/http"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"
	"github.com/kapi-dev/kapi/registry"
)

// DefaultMaxRequestBodyBytes is kube-apiserver's limit on a request body: 3 MiB.
const DefaultMaxRequestBodyBytes = 3 * 1024 * 1024

// DefaultMinRequestTimeout is kube-apiserver's --min-request-timeout: a watch without
// timeoutSeconds lasts between one and two times this long.
const DefaultMinRequestTimeout = 30 * time.Minute

// Options configure the REST handler. The zero value is kube's defaults.
type Options struct {
	// MaxRequestBodyBytes is the largest request body accepted (413 above it); 0 means 3 MiB.
	MaxRequestBodyBytes int64
	// MinRequestTimeout bounds watches that do not ask for timeoutSeconds; 0 means 30 minutes.
	MinRequestTimeout time.Duration
	// Stop, when closed, ends every running watch cleanly (server shutdown). May be nil.
	Stop <-chan struct{}
}

// Admission is what the handler runs on writes: an *admission.Chain, or one that follows the
// plugin configuration as it reloads (host/plugins).
type Admission interface {
	HasMutating() bool
	HasValidating() bool
	Mutate(ctx context.Context, a *admission.Attributes) (runtime.Object, error)
	Validate(ctx context.Context, a *admission.Attributes) error
}

// handler serves resource requests.
type handler struct {
	reg  *registry.Registry
	adm  Admission
	opts Options
	// fieldManagers serve server-side apply.
	fieldManagers *fieldManagers
}

// NewHandler returns the handler for every resource request. It reads the request's
// request.Info from the context (the RequestInfo filter has parsed it) and serves the verb from
// the resource's store in reg, running adm (which may be nil: no admission) on writes.
func NewHandler(reg *registry.Registry, adm Admission, opts Options) http.Handler {
	if adm == nil {
		adm = (*admission.Chain)(nil)
	}
	if opts.MaxRequestBodyBytes <= 0 {
		opts.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	if opts.MinRequestTimeout <= 0 {
		opts.MinRequestTimeout = DefaultMinRequestTimeout
	}
	return &handler{reg: reg, adm: adm, opts: opts, fieldManagers: newFieldManagers(reg)}
}

// scope is one request being served: what it addresses and how to answer.
type scope struct {
	h     *handler
	w     http.ResponseWriter
	r     *http.Request
	info  *request.Info
	entry *registry.Entry
	res   *registry.Resource
	// store serves the addressed path: the resource's store, or a subresource's.
	store registry.Store
	// ns is the namespace for the store: "" for cluster-scoped resources.
	ns string
	// kind and newObj are the type at the path: the resource's, or a subresource's (Scale...).
	kind   schema.GroupVersionKind
	newObj func() runtime.Object

	out           output
	includeObject metav1.IncludeObjectPolicy
	warned        map[string]bool
}

// notFound is kube's answer for a path that names nothing it serves.
func notFound() error {
	return apierrors.NewGenericServerResponse(http.StatusNotFound, "", schema.GroupResource{}, "", "", 0, false)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, ok := request.InfoFrom(r.Context())
	if !ok || !info.IsResourceRequest {
		status.Write(w, r, notFound())
		return
	}
	s, err := h.newScope(w, r, info)
	if err != nil {
		status.Write(w, r, err)
		return
	}
	switch info.Verb {
	case "get":
		s.get()
	case "list":
		s.list()
	case "watch":
		s.watch()
	case "create":
		s.create()
	case "update":
		s.update()
	case "patch":
		s.patch()
	case "delete":
		s.delete()
	case "deletecollection":
		s.deleteCollection()
	default:
		status.Write(w, r, apierrors.NewMethodNotSupported(s.res.GroupVersionResource().GroupResource(), info.Verb))
	}
}

// newScope finds what the request addresses, checks the verb is served there, and negotiates the
// response form, before anything is read or written.
func (h *handler) newScope(w http.ResponseWriter, r *http.Request, info *request.Info) (*scope, error) {
	gvr := schema.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource}
	entry := h.reg.Get(gvr)
	if entry == nil || entry.Resource == nil || entry.Store == nil {
		return nil, notFound()
	}
	res := entry.Resource
	s := &scope{h: h, w: w, r: r, info: info, entry: entry, res: res, store: entry.Store, kind: res.GroupVersionKind(), newObj: res.New}
	if res.Namespaced {
		s.ns = info.Namespace
		if s.ns == "" && (info.Name != "" || info.Verb == "create" || info.Verb == "deletecollection") {
			// Only lists and watches span namespaces; kube serves no other route without one.
			return nil, notFound()
		}
	} else if info.Namespace != "" && info.Resource != "namespaces" {
		return nil, notFound()
	}
	gr := gvr.GroupResource()
	if info.Subresource == "" {
		if !contains(res.Verbs, info.Verb) {
			return nil, apierrors.NewMethodNotSupported(gr, info.Verb)
		}
	} else {
		if !res.HasSubresource(info.Subresource) || info.Name == "" {
			return nil, notFound()
		}
		sub, ok := subresourceKinds[info.Subresource]
		if !ok {
			// A subresource kapi has no table entry for is served by its own store, which
			// answers the verbs it does not support itself.
			sub = subresourceKind{verbs: []string{"get", "create", "update", "patch"}}
		}
		if !contains(sub.verbs, info.Verb) {
			return nil, apierrors.NewMethodNotSupported(schema.GroupResource{Group: gr.Group, Resource: gr.Resource + "/" + info.Subresource}, info.Verb)
		}
		// status and finalize are views of the main object, served by its store; the others
		// have stores of their own.
		if store := entry.Subresources[info.Subresource]; store != nil {
			s.store = store
			if sub.new != nil {
				s.kind, s.newObj = sub.kind, sub.new
			}
		} else if info.Subresource != "status" && info.Subresource != "finalize" {
			return nil, notFound()
		}
	}
	_, untyped := res.New().(runtime.Unstructured)
	out, err := negotiateOutput(r.Header.Get("Accept"), !untyped)
	if err != nil {
		return nil, err
	}
	s.out = out
	if out.as == asTable {
		if s.includeObject, err = parseTableOptions(r.URL.Query()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// subresourceKind is the type a subresource reads and writes, and the verbs it serves.
type subresourceKind struct {
	kind  schema.GroupVersionKind
	new   func() runtime.Object
	verbs []string
}

// subresourceKinds are the subresources kapi knows; status uses the resource's own type.
var subresourceKinds = map[string]subresourceKind{
	"status": {verbs: []string{"get", "update", "patch"}},
	"scale": {
		kind:  autoscalingv1.SchemeGroupVersion.WithKind("Scale"),
		new:   func() runtime.Object { return &autoscalingv1.Scale{} },
		verbs: []string{"get", "update", "patch"},
	},
	"binding": {
		kind:  corev1.SchemeGroupVersion.WithKind("Binding"),
		new:   func() runtime.Object { return &corev1.Binding{} },
		verbs: []string{"create"},
	},
	"eviction": {
		kind:  policyv1.SchemeGroupVersion.WithKind("Eviction"),
		new:   func() runtime.Object { return &policyv1.Eviction{} },
		verbs: []string{"create"},
	},
	"finalize": {verbs: []string{"update"}},
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
