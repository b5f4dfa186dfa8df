package discovery

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// Subresource is how discovery describes one subresource of a resource: the kind its requests
// and responses carry, and the verbs it serves, as kube-apiserver lists them.
type Subresource struct {
	// Name is the subresource's name, e.g. "status".
	Name string
	// Kind is the kind the subresource serves. Group and Version are empty when they are the
	// parent's, as kube leaves them in discovery.
	Kind schema.GroupVersionKind
	// Verbs are sorted, as kube lists them.
	Verbs []string
}

// knownSubresources describes the subresources kube-apiserver serves, by name. An empty Kind
// means the parent's kind; an empty Group/Version means the parent's group/version.
var knownSubresources = map[string]struct {
	kind  schema.GroupVersionKind
	verbs []string
}{
	"status":              {verbs: []string{"get", "patch", "update"}},
	"scale":               {kind: schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, verbs: []string{"get", "patch", "update"}},
	"binding":             {kind: schema.GroupVersionKind{Kind: "Binding"}, verbs: []string{"create"}},
	"eviction":            {kind: schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}, verbs: []string{"create"}},
	"finalize":            {verbs: []string{"update"}},
	"log":                 {kind: schema.GroupVersionKind{Kind: "Pod"}, verbs: []string{"get"}},
	"ephemeralcontainers": {verbs: []string{"get", "patch", "update"}},
	"resize":              {verbs: []string{"get", "patch", "update"}},
	"approval":            {verbs: []string{"get", "patch", "update"}},
	"token":               {kind: schema.GroupVersionKind{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}, verbs: []string{"create"}},
	"exec":                {kind: schema.GroupVersionKind{Kind: "PodExecOptions"}, verbs: []string{"create", "get"}},
	"attach":              {kind: schema.GroupVersionKind{Kind: "PodAttachOptions"}, verbs: []string{"create", "get"}},
	"portforward":         {kind: schema.GroupVersionKind{Kind: "PodPortForwardOptions"}, verbs: []string{"create", "get"}},
	"proxy":               {verbs: []string{"create", "delete", "get", "patch", "update"}},
}

// proxyKinds names the options kind of each resource's proxy subresource.
var proxyKinds = map[string]string{"pods": "PodProxyOptions", "services": "ServiceProxyOptions", "nodes": "NodeProxyOptions"}

// SubresourceOf describes sub of the resource r. Subresources kube does not know are described
// as status is: the parent's kind with get, patch and update.
func SubresourceOf(r *registry.Resource, sub string) Subresource {
	known, ok := knownSubresources[sub]
	if !ok {
		known = knownSubresources["status"]
	}
	kind := known.kind
	if kind.Kind == "" {
		kind.Kind = r.Kind
	}
	if sub == "proxy" {
		if k, ok := proxyKinds[r.Plural]; ok {
			kind.Kind = k
		}
	}
	// kube names the group/version only when it differs from the parent's.
	if kind.Group == r.Group && kind.Version == r.Version {
		kind.Group, kind.Version = "", ""
	}
	return Subresource{Name: sub, Kind: kind, Verbs: append([]string(nil), known.verbs...)}
}
