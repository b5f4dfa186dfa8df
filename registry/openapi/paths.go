package openapi

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/discovery"
)

// operation is one REST operation, independent of the OpenAPI version it is written in.
type operation struct {
	method   string // "get", "put", "post", "patch", "delete"
	id       string // kube's operationId, e.g. "listCoreV1NamespacedPod"
	action   string // x-kubernetes-action: get, list, post, put, patch, delete, deletecollection
	gvk      schema.GroupVersionKind
	body     string // definition of the request body; "" for none
	response string // definition of the 200 response
	query    []parameter
}

// path is the operations on one URL template.
type path struct {
	template   string
	parameters []parameter // path parameters: namespace, name
	operations []operation
}

// parameter is a query or path parameter.
type parameter struct {
	name     string
	in       string // "query" or "path"
	typ      string // "string", "boolean", "integer"
	required bool
}

func query(name, typ string) parameter { return parameter{name: name, in: "query", typ: typ} }

var (
	pretty          = query("pretty", "string")
	writeParameters = []parameter{query("dryRun", "string"), query("fieldManager", "string"), query("fieldValidation", "string"), pretty}
	patchParameters = append(append([]parameter{}, writeParameters...), query("force", "boolean"))
	listParameters  = []parameter{
		query("allowWatchBookmarks", "boolean"), query("continue", "string"), query("fieldSelector", "string"),
		query("labelSelector", "string"), query("limit", "integer"), pretty, query("resourceVersion", "string"),
		query("resourceVersionMatch", "string"), query("sendInitialEvents", "boolean"), query("timeoutSeconds", "integer"),
		query("watch", "boolean"),
	}
	deleteParameters = []parameter{
		query("dryRun", "string"), query("gracePeriodSeconds", "integer"),
		query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean"), query("orphanDependents", "boolean"), pretty,
		query("propagationPolicy", "string"),
	}
	namespaceParameter = parameter{name: "namespace", in: "path", typ: "string", required: true}
	nameParameter      = parameter{name: "name", in: "path", typ: "string", required: true}
)

// resourcePaths lists the operations kube serves for a resource, named as kube names them.
func resourcePaths(d resourceDefs) []path {
	r := d.resource
	has := map[string]bool{}
	for _, v := range r.Verbs {
		has[v] = true
	}
	prefix := "/apis/" + r.Group + "/" + r.Version
	if r.Group == "" {
		prefix = "/api/" + r.Version
	}
	opGV := operationGroupVersion(r.Group, r.Version)
	scope := ""
	collection := prefix + "/" + r.Plural
	var scopeParams []parameter
	if r.Namespaced {
		scope = "Namespaced"
		collection = prefix + "/namespaces/{namespace}/" + r.Plural
		scopeParams = []parameter{namespaceParameter}
	}
	gvk := r.GroupVersionKind()
	item := collection + "/{name}"
	itemParams := append(append([]parameter{}, scopeParams...), nameParameter)

	var out []path
	coll := path{template: collection, parameters: scopeParams}
	if has["list"] {
		coll.operations = append(coll.operations, operation{method: "get", id: "list" + opGV + scope + r.Kind, action: "list", gvk: gvk, response: d.list, query: listParameters})
	}
	if has["create"] {
		coll.operations = append(coll.operations, operation{method: "post", id: "create" + opGV + scope + r.Kind, action: "post", gvk: gvk, body: d.object, response: d.object, query: writeParameters})
	}
	if has["deletecollection"] {
		coll.operations = append(coll.operations, operation{method: "delete", id: "delete" + opGV + "Collection" + scope + r.Kind, action: "deletecollection", gvk: gvk, body: deleteOptionsName, response: statusName, query: append(append([]parameter{}, deleteParameters...), listParameters...)})
	}
	if len(coll.operations) > 0 {
		out = append(out, coll)
	}
	if r.Namespaced && has["list"] {
		out = append(out, path{template: prefix + "/" + r.Plural, operations: []operation{
			{method: "get", id: "list" + opGV + r.Kind + "ForAllNamespaces", action: "list", gvk: gvk, response: d.list, query: listParameters},
		}})
	}

	one := path{template: item, parameters: itemParams}
	if has["get"] {
		one.operations = append(one.operations, operation{method: "get", id: "read" + opGV + scope + r.Kind, action: "get", gvk: gvk, response: d.object, query: []parameter{pretty}})
	}
	if has["update"] {
		one.operations = append(one.operations, operation{method: "put", id: "replace" + opGV + scope + r.Kind, action: "put", gvk: gvk, body: d.object, response: d.object, query: writeParameters})
	}
	if has["patch"] {
		one.operations = append(one.operations, operation{method: "patch", id: "patch" + opGV + scope + r.Kind, action: "patch", gvk: gvk, body: patchName, response: d.object, query: patchParameters})
	}
	if has["delete"] {
		one.operations = append(one.operations, operation{method: "delete", id: "delete" + opGV + scope + r.Kind, action: "delete", gvk: gvk, body: deleteOptionsName, response: statusName, query: deleteParameters})
	}
	if len(one.operations) > 0 {
		out = append(out, one)
	}

	for _, sub := range sortedKeys(d.subresources) {
		sd := d.subresources[sub]
		suffix := strings.ToUpper(sub[:1]) + sub[1:]
		p := path{template: item + "/" + sub, parameters: itemParams}
		for _, verb := range subresourceVerbs(r, sub) {
			base := opGV + scope + r.Kind + suffix
			switch verb {
			case "get":
				p.operations = append(p.operations, operation{method: "get", id: "read" + base, action: "get", gvk: sd.gvk, response: sd.def, query: []parameter{pretty}})
			case "update":
				p.operations = append(p.operations, operation{method: "put", id: "replace" + base, action: "put", gvk: sd.gvk, body: sd.def, response: sd.def, query: writeParameters})
			case "patch":
				p.operations = append(p.operations, operation{method: "patch", id: "patch" + base, action: "patch", gvk: sd.gvk, body: patchName, response: sd.def, query: patchParameters})
			case "create":
				p.operations = append(p.operations, operation{method: "post", id: "create" + base, action: "post", gvk: sd.gvk, body: sd.def, response: sd.def, query: writeParameters})
			}
		}
		if len(p.operations) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// operationGroupVersion is the group/version part of kube's operation IDs: "CoreV1",
// "AppsV1", "RbacAuthorizationV1" (the group without .k8s.io, each part capitalised).
func operationGroupVersion(group, version string) string {
	if group == "" {
		group = "core"
	}
	group = strings.TrimSuffix(group, ".k8s.io")
	var b strings.Builder
	for _, part := range strings.FieldsFunc(group, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	b.WriteString(strings.ToUpper(version[:1]) + version[1:])
	return b.String()
}

func sortedKeys(m map[string]subresourceDef) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func subresourceVerbs(r *registry.Resource, sub string) []string {
	return discovery.SubresourceOf(r, sub).Verbs
}
