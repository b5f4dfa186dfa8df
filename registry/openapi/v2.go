package openapi

import (
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/discovery"
)

// infoTitle and infoVersion are what kube's documents name themselves when built without a
// release version.
const (
	infoTitle   = "Kubernetes"
	infoVersion = "unversioned"
)

// BuildV2 is the Swagger 2.0 document for /openapi/v2: every served resource's definitions
// and operations.
func BuildV2(entries []*registry.Entry) *spec.Swagger {
	b := newBuilder(flavorV2)
	b.addMeta(discovery.Build(entries).GroupVersions())
	paths := map[string]spec.PathItem{}
	for _, e := range entries {
		for _, p := range resourcePaths(b.addResource(e.Resource)) {
			paths[p.template] = pathItemV2(b, p)
		}
	}
	definitions := spec.Definitions{}
	for name, s := range b.finish() {
		definitions[name] = *s
	}
	return &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        &spec.Info{InfoProps: spec.InfoProps{Title: infoTitle, Version: infoVersion}},
		Paths:       &spec.Paths{Paths: paths},
		Definitions: definitions,
		SecurityDefinitions: spec.SecurityDefinitions{
			"BearerToken": &spec.SecurityScheme{SecuritySchemeProps: spec.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header",
				Description: "Bearer Token authentication",
			}},
		},
		Security: []map[string][]string{{"BearerToken": {}}},
	}}
}

var (
	v2Consumes      = []string{"*/*"}
	v2PatchConsumes = []string{
		"application/json-patch+json", "application/merge-patch+json",
		"application/strategic-merge-patch+json", "application/apply-patch+yaml",
	}
	v2Produces = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
)

func pathItemV2(b *builder, p path) spec.PathItem {
	item := spec.PathItem{}
	for _, param := range p.parameters {
		item.Parameters = append(item.Parameters, parameterV2(param))
	}
	for _, op := range p.operations {
		o := &spec.Operation{OperationProps: spec.OperationProps{
			ID:       op.id,
			Consumes: v2Consumes,
			Produces: v2Produces,
			Schemes:  []string{"https"},
		}}
		if op.method == "patch" {
			o.Consumes = v2PatchConsumes
		}
		for _, q := range op.query {
			o.Parameters = append(o.Parameters, parameterV2(q))
		}
		if op.body != "" {
			body := b.ref(op.body)
			o.Parameters = append(o.Parameters, spec.Parameter{ParamProps: spec.ParamProps{
				Name: "body", In: "body", Required: op.method != "delete", Schema: &body,
			}})
		}
		response := b.ref(op.response)
		o.Responses = &spec.Responses{ResponsesProps: spec.ResponsesProps{StatusCodeResponses: map[int]spec.Response{
			200: {ResponseProps: spec.ResponseProps{Description: "OK", Schema: &response}},
			401: {ResponseProps: spec.ResponseProps{Description: "Unauthorized"}},
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

func parameterV2(p parameter) spec.Parameter {
	return spec.Parameter{
		ParamProps:   spec.ParamProps{Name: p.name, In: p.in, Required: p.required},
		SimpleSchema: spec.SimpleSchema{Type: p.typ},
	}
}
