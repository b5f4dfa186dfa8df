package server

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/kapi-dev/kapi/host/health"
	"github.com/kapi-dev/kapi/host/request"
)

// discoveryServer serves the discovery documents (host/discovery's Handler).
type discoveryServer interface {
	ServeAPI(w http.ResponseWriter, r *http.Request)
	ServeAPIs(w http.ResponseWriter, r *http.Request)
	ServeGroupNamed(w http.ResponseWriter, r *http.Request, group string)
	ServeGroupVersion(w http.ResponseWriter, r *http.Request, group, version string)
}

// openAPIServer serves the OpenAPI documents (host/openapi's Handler).
type openAPIServer interface {
	ServeV2(w http.ResponseWriter, r *http.Request)
	ServeV3Index(w http.ResponseWriter, r *http.Request)
	ServeV3(w http.ResponseWriter, r *http.Request, path string)
}

// routes are the handlers the router sends requests to. A nil API handler answers 404.
type routes struct {
	healthz, livez, readyz *health.Endpoint
	metrics                http.Handler
	discovery              discoveryServer
	openapi                openAPIServer
	// rest serves every resource request, reading the RequestInfo from the context.
	rest http.Handler
	// profiling adds /debug/pprof.
	profiling bool
}

// newRouter is the last stage of the chain. Fixed paths are httprouter routes; everything under
// /api and /apis goes to one handler that uses the RequestInfo already parsed by the chain:
// resource requests go to the REST handler, the rest is discovery. Resources are data, so no
// resource ever adds a route.
func newRouter(rt routes) http.Handler {
	r := httprouter.New()
	// Redirects would turn a client's API call into something it did not ask for.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.NotFound = http.HandlerFunc(http.NotFound)

	get := func(path string, h http.HandlerFunc) {
		r.HandlerFunc(http.MethodGet, path, h)
		r.HandlerFunc(http.MethodHead, path, h)
	}
	for _, e := range []struct {
		name string
		ep   *health.Endpoint
	}{{"healthz", rt.healthz}, {"livez", rt.livez}, {"readyz", rt.readyz}} {
		ep := e.ep
		get("/"+e.name, ep.ServeHTTP)
		get("/"+e.name+"/*check", func(w http.ResponseWriter, req *http.Request) {
			ep.ServeCheck(w, req, strings.TrimPrefix(httprouter.ParamsFromContext(req.Context()).ByName("check"), "/"))
		})
	}
	get("/version", serveVersion)
	if rt.metrics != nil {
		get("/metrics", rt.metrics.ServeHTTP)
	}
	if rt.openapi != nil {
		get("/openapi/v2", rt.openapi.ServeV2)
		get("/openapi/v3", rt.openapi.ServeV3Index)
		get("/openapi/v3/*path", func(w http.ResponseWriter, req *http.Request) {
			rt.openapi.ServeV3(w, req, strings.TrimPrefix(httprouter.ParamsFromContext(req.Context()).ByName("path"), "/"))
		})
	}

	if rt.profiling {
		get("/debug/pprof/*item", serveProfiling)
	}

	api := http.HandlerFunc(rt.serveAPI)
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		for _, p := range []string{"/api", "/api/*rest", "/apis", "/apis/*rest"} {
			r.Handler(m, p, api)
		}
	}
	return r
}

// serveProfiling serves net/http/pprof's pages under /debug/pprof/, as kube-apiserver does.
func serveProfiling(w http.ResponseWriter, r *http.Request) {
	switch item := strings.TrimPrefix(httprouter.ParamsFromContext(r.Context()).ByName("item"), "/"); item {
	case "":
		pprof.Index(w, r)
	case "cmdline":
		pprof.Cmdline(w, r)
	case "profile":
		pprof.Profile(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "trace":
		pprof.Trace(w, r)
	default:
		pprof.Handler(item).ServeHTTP(w, r)
	}
}

// serveAPI dispatches /api and /apis paths.
func (rt routes) serveAPI(w http.ResponseWriter, r *http.Request) {
	info, ok := request.InfoFrom(r.Context())
	if ok && info.IsResourceRequest {
		if rt.rest == nil {
			http.NotFound(w, r)
			return
		}
		rt.rest.ServeHTTP(w, r)
		return
	}
	if rt.discovery == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "api":
		rt.discovery.ServeAPI(w, r)
	case len(parts) == 2 && parts[0] == "api":
		rt.discovery.ServeGroupVersion(w, r, "", parts[1])
	case len(parts) == 1 && parts[0] == "apis":
		rt.discovery.ServeAPIs(w, r)
	case len(parts) == 2 && parts[0] == "apis":
		rt.discovery.ServeGroupNamed(w, r, parts[1])
	case len(parts) == 3 && parts[0] == "apis":
		rt.discovery.ServeGroupVersion(w, r, parts[1], parts[2])
	default:
		http.NotFound(w, r)
	}
}
