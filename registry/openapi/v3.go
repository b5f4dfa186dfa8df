package openapi

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/discovery"
)

// V3Path is the /openapi/v3 path of a group/version's document: "api/v1" or "apis/apps/v1".
func V3Path(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// V3Paths lists the /openapi/v3 paths of every served group/version, in discovery order.
func V3Paths(entries []*registry.Entry) []string {
	var out []string
	for _, gv := range discovery.Build(entries).GroupVersions() {
		out = append(out, V3Path(gv))
	}
	return out
}

// BuildV3 is the OpenAPI 3.0 document of the group/version at path ("api/v1",
// "apis/apps/v1"): its resources' operations and the schemas they refer to. ok is false when
// no resource of that group/version is served.
func BuildV3(entries []*registry.Entry, path string) (doc *spec3.OpenAPI, ok bool) {
	var served []*registry.Entry
	var gv schema.GroupVersion
	for _, e := range entries {
		egv := schema.GroupVersion{Group: e.Resource.Group, Version: e.Resource.Version}
		if V3Path(egv) == path {
			served = append(served, e)
			gv = egv
		}
	}
	if len(served) == 0 {
		return nil, false
	}
	b := newBuilder(flavorV3)
	b.addMeta([]schema.GroupVersion{gv})
	paths := map[string]*spec3.Path{}
	for _, e := range served {
		for _, p := range resourcePaths(b.addResource(e.Resource)) {
			paths[p.template] = pathV3(b, p)
		}
	}
	return &spec3.OpenAPI{
		Version: "3.0.0",
		Info:    &spec.Info{InfoProps: spec.InfoProps{Title: infoTitle, Version: infoVersion}},
		Paths:   &spec3.Paths{Paths: paths},
		Components: &spec3.Components{
			Schemas: b.finish(),
			SecuritySchemes: spec3.SecuritySchemes{
				"BearerToken": &spec3.SecurityScheme{SecuritySchemeProps: spec3.SecuritySchemeProps{
					Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
				}},
			},
		},
		SecurityRequirement: []map[string][]string{{"BearerToken": {}}},
	}, true
}

var (
	v3Produces      = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	v3PatchConsumes = []string{
		"application/json-patch+json", "application/merge-patch+json",
		"application/strategic-merge-patch+json", "application/apply-patch+yaml",
	}
)

func pathV3(b *builder, p path) *spec3.Path {
	item := &spec3.Path{}
	for _, param := range p.parameters {
		item.Parameters = append(item.Parameters, parameterV3(param))
	}
	for _, op := range p.operations {
		o := &spec3.Operation{OperationProps: spec3.OperationProps{OperationId: op.id}}
		for _, q := range op.query {
			o.Parameters = append(o.Parameters, parameterV3(q))
		}
		if op.body != "" {
			consumes := v3Produces
			if op.method == "patch" {
				consumes = v3PatchConsumes
			}
			o.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{
				Content: content(b.ref(op.body), consumes), Required: op.method != "delete",
			}}
		}
		o.Responses = &spec3.Responses{ResponsesProps: spec3.ResponsesProps{StatusCodeResponses: map[int]*spec3.Response{
			200: {ResponseProps: spec3.ResponseProps{Description: "OK", Content: content(b.ref(op.response), v3Produces)}},
			401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}},
		}}}
		o.AddExtension(extAction, op.action)
		o.AddExtension(extGVK, map[string]interface{}{"group": op.gvk.Group, "version": op.gvk.Version, "kind": op.gvk.Kind})
		switch op.method {
		case "get":
			item.Get = o
		case "put":
			item.Put = o
		case "post":
			item.Post = o
		case "patch":
			item.Patch = o
		case "delete":
			item.Delete = o
		}
	}
	return item
}

func content(s spec.Schema, mediaTypes []string) map[string]*spec3.MediaType {
	out := map[string]*spec3.MediaType{}
	for _, mt := range mediaTypes {
		schema := s
		out[mt] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: &schema}}
	}
	return out
}

func parameterV3(p parameter) *spec3.Parameter {
	s := typed(p.typ, "")
	return &spec3.Parameter{ParameterProps: spec3.ParameterProps{Name: p.name, In: p.in, Required: p.required, Schema: &s}}
}

// Schemas is every served kind's schema and the schemas they refer to, in the OpenAPI v3 form
// (references to "#/components/schemas/NAME", group-version-kind extensions set). It is what
// k8s.io/apimachinery's managedfields.NewTypeConverter needs for server-side apply.
func Schemas(entries []*registry.Entry) map[string]*spec.Schema {
	b := newBuilder(flavorV3)
	b.addMeta(discovery.Build(entries).GroupVersions())
	for _, e := range entries {
		b.addResource(e.Resource)
	}
	return b.finish()
}
