package filters

import (
	"fmt"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metainternalversionscheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// WithRequestInfo parses the request's method, path and query once into a *request.Info, stored in
// the context for every later stage. A path it cannot make sense of is a 500, as in kube.
func WithRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, err := NewRequestInfo(r)
		if err != nil {
			status.Write(w, r, apierrors.NewInternalError(fmt.Errorf("failed to create RequestInfo: %w", err)))
			return
		}
		next.ServeHTTP(w, r.WithContext(request.WithInfo(r.Context(), info)))
	})
}

// Path forms, as kube-apiserver's RequestInfoFactory knows them.
var (
	apiPrefixes = map[string]bool{"api": true, "apis": true}
	// grouplessPrefixes have no group segment: /api/v1/...
	grouplessPrefixes = map[string]bool{"api": true}
	// specialVerbs come as a path segment after the version: /apis/g/v/watch/...
	specialVerbs = map[string]bool{"proxy": true, "watch": true}
	// specialVerbsNoSubresources take everything after the name as part of the proxied path.
	specialVerbsNoSubresources = map[string]bool{"proxy": true}
	// namespaceSubresources are subresources of a namespace itself, not resources in it.
	namespaceSubresources = map[string]bool{"status": true, "finalize": true}
)

// NewRequestInfo parses r exactly as kube-apiserver's RequestInfoFactory does:
//
//	/api/v1/namespaces/ns/pods/name/status -> get pods "name" subresource status in ns
//	/apis/apps/v1/deployments             -> list (or watch with ?watch=true|1)
//	/api/v1/watch/namespaces/ns/pods      -> watch
//	/api/v1/namespaces/x                  -> resource namespaces, name x (and namespace x)
//	DELETE on a collection                -> deletecollection
//	/healthz, /api, /apis/apps            -> non-resource, verb = lower-cased method
func NewRequestInfo(r *http.Request) (*request.Info, error) {
	info := &request.Info{
		Path: r.URL.Path,
		Verb: strings.ToLower(r.Method),
	}
	parts := splitPath(r.URL.Path)
	if len(parts) < 3 || !apiPrefixes[parts[0]] {
		return info, nil
	}
	info.APIPrefix = parts[0]
	parts = parts[1:]
	if !grouplessPrefixes[info.APIPrefix] {
		// The prefix is consumed; a group needs group, version and a resource after it.
		if len(parts) < 3 {
			return info, nil
		}
		info.APIGroup = parts[0]
		parts = parts[1:]
	}

	info.IsResourceRequest = true
	info.APIVersion = parts[0]
	parts = parts[1:]

	if specialVerbs[parts[0]] {
		if len(parts) < 2 {
			return info, fmt.Errorf("unable to determine kind and namespace from url, %v", r.URL)
		}
		info.Verb = parts[0]
		parts = parts[1:]
	} else {
		switch r.Method {
		case http.MethodPost:
			info.Verb = "create"
		case http.MethodGet, http.MethodHead:
			info.Verb = "get"
		case http.MethodPut:
			info.Verb = "update"
		case http.MethodPatch:
			info.Verb = "patch"
		case http.MethodDelete:
			info.Verb = "delete"
		default:
			info.Verb = ""
		}
	}

	// /namespaces/{namespace}/{resource}/...: the namespace is read off and the parts start at
	// the resource, unless what follows is a subresource of the namespace itself.
	if parts[0] == "namespaces" {
		if len(parts) > 1 {
			info.Namespace = parts[1]
			if len(parts) > 2 && !namespaceSubresources[parts[2]] {
				parts = parts[2:]
			}
		}
	} else {
		info.Namespace = metav1.NamespaceNone
	}

	// parts are now resource/name/subresource/anything-else.
	info.Parts = parts
	switch {
	case len(parts) >= 3 && !specialVerbsNoSubresources[info.Verb]:
		info.Subresource = parts[2]
		fallthrough
	case len(parts) >= 2:
		info.Name = parts[1]
		fallthrough
	case len(parts) >= 1:
		info.Resource = parts[0]
	}

	// A get without a name reads a collection: a list, or a watch when the query asks for one. A
	// fieldSelector pinning metadata.name names the object, for authorization's sake.
	if info.Name == "" && info.Verb == "get" {
		opts := listOptionsFrom(r)
		if opts.Watch {
			info.Verb = "watch"
		} else {
			info.Verb = "list"
		}
		if opts.FieldSelector != nil {
			if name, ok := opts.FieldSelector.RequiresExactMatch("metadata.name"); ok {
				if len(path.IsValidPathSegmentName(name)) == 0 {
					info.Name = name
				}
			}
		}
	}
	// A delete without a name deletes a collection.
	if info.Name == "" && info.Verb == "delete" {
		info.Verb = "deletecollection"
	}
	return info, nil
}

// listOptionsFrom decodes the query as kube does; when decoding fails, only watch is honoured.
func listOptionsFrom(r *http.Request) metainternalversion.ListOptions {
	query := r.URL.Query()
	opts := metainternalversion.ListOptions{}
	if err := metainternalversionscheme.ParameterCodec.DecodeParameters(query, metav1.SchemeGroupVersion, &opts); err != nil {
		opts = metainternalversion.ListOptions{}
		if values := query["watch"]; len(values) > 0 {
			switch strings.ToLower(values[0]) {
			case "false", "0":
			default:
				opts.Watch = true
			}
		}
	}
	return opts
}

// splitPath returns the path's segments without leading and trailing slashes.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return []string{}
	}
	return strings.Split(p, "/")
}
