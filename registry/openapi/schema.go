package openapi

import (
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// flavor is the OpenAPI version a schema is built for: the two differ in where references point
// and in how a few apimachinery types are described.
type flavor int

const (
	flavorV2 flavor = iota
	flavorV3
)

// Extension names kube's OpenAPI uses.
const (
	extGVK             = "x-kubernetes-group-version-kind"
	extPatchStrategy   = "x-kubernetes-patch-strategy"
	extPatchMergeKey   = "x-kubernetes-patch-merge-key"
	extIntOrString     = "x-kubernetes-int-or-string"
	extPreserveUnknown = "x-kubernetes-preserve-unknown-fields"
	extAction          = "x-kubernetes-action"
)

// schemaTyper is what apimachinery's types with a custom JSON form (Time, MicroTime, Duration,
// Quantity, IntOrString) implement to tell OpenAPI generators their schema.
type schemaTyper interface {
	OpenAPISchemaType() []string
	OpenAPISchemaFormat() string
}

// v3OneOfTyper is implemented by the types whose OpenAPI v3 schema is a oneOf of types
// (Quantity, IntOrString).
type v3OneOfTyper interface {
	OpenAPIV3OneOfTypes() []string
}

var (
	schemaTyperType  = reflect.TypeOf((*schemaTyper)(nil)).Elem()
	v3OneOfTyperType = reflect.TypeOf((*v3OneOfTyper)(nil)).Elem()
	objectMetaType   = reflect.TypeOf(v1.ObjectMeta{})
	// objectTypes are marshalled as arbitrary JSON objects; kube describes them as type object.
	objectTypes = map[reflect.Type]bool{
		reflect.TypeOf(runtime.RawExtension{}): true,
		reflect.TypeOf(v1.FieldsV1{}):          true,
		reflect.TypeOf(v1.Patch{}):             true,
	}
)

// swaggerDocer is implemented by the k8s.io/api and apimachinery types: their generated
// SwaggerDoc holds the Go comments (the type's under "", each field's under its JSON name),
// which is where kube's descriptions come from too.
type swaggerDocer interface {
	SwaggerDoc() map[string]string
}

func swaggerDoc(t reflect.Type) map[string]string {
	if d, ok := reflect.New(t).Elem().Interface().(swaggerDocer); ok {
		return d.SwaggerDoc()
	}
	if d, ok := reflect.New(t).Interface().(swaggerDocer); ok {
		return d.SwaggerDoc()
	}
	return nil
}

// builder collects the definitions reachable from the types it is asked about.
type builder struct {
	flavor flavor
	defs   map[string]*spec.Schema
	gvks   map[string][]schema.GroupVersionKind
}

func newBuilder(f flavor) *builder {
	return &builder{flavor: f, defs: map[string]*spec.Schema{}, gvks: map[string][]schema.GroupVersionKind{}}
}

func (b *builder) refPrefix() string {
	if b.flavor == flavorV3 {
		return "#/components/schemas/"
	}
	return "#/definitions/"
}

func (b *builder) ref(name string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Ref: spec.MustCreateRef(b.refPrefix() + name)}}
}

// addKind defines obj's Go type and marks its definition with gvk; it returns the definition's
// name. A Go type served as several kinds carries all of them.
func (b *builder) addKind(obj runtime.Object, gvk schema.GroupVersionKind) string {
	name := b.define(derefType(reflect.TypeOf(obj)))
	b.markKind(name, gvk)
	return name
}

func (b *builder) markKind(name string, gvk schema.GroupVersionKind) {
	for _, have := range b.gvks[name] {
		if have == gvk {
			return
		}
	}
	b.gvks[name] = append(b.gvks[name], gvk)
}

// finish writes the group-version-kind extensions and returns the definitions.
func (b *builder) finish() map[string]*spec.Schema {
	for name, gvks := range b.gvks {
		s := b.defs[name]
		if s == nil {
			continue
		}
		sort.Slice(gvks, func(i, j int) bool {
			a, c := gvks[i], gvks[j]
			if a.Group != c.Group {
				return a.Group < c.Group
			}
			if a.Version != c.Version {
				return a.Version < c.Version
			}
			return a.Kind < c.Kind
		})
		list := make([]interface{}, 0, len(gvks))
		for _, gvk := range gvks {
			list = append(list, map[string]interface{}{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind})
		}
		s.AddExtension(extGVK, list)
	}
	return b.defs
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// schemaOf is the schema of a value of type t where it appears (a field, an item, a map
// value): primitives inline, structs and apimachinery's special types by reference.
func (b *builder) schemaOf(t reflect.Type) spec.Schema {
	t = derefType(t)
	if t.Kind() == reflect.Struct || implementsSchemaTyper(t) {
		return b.ref(b.define(t))
	}
	switch t.Kind() {
	case reflect.String:
		return typed("string", "")
	case reflect.Bool:
		return typed("boolean", "")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return typed("integer", "int32")
	case reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return typed("integer", "int64")
	case reflect.Float32:
		return typed("number", "float")
	case reflect.Float64:
		return typed("number", "double")
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			// encoding/json writes []byte as base64.
			return typed("string", "byte")
		}
		items := b.schemaOf(t.Elem())
		s := typed("array", "")
		s.Items = &spec.SchemaOrArray{Schema: &items}
		return s
	case reflect.Map:
		value := b.schemaOf(t.Elem())
		s := typed("object", "")
		s.AdditionalProperties = &spec.SchemaOrBool{Allows: true, Schema: &value}
		return s
	default:
		// interface{} and anything else: any JSON value.
		return spec.Schema{}
	}
}

func typed(typ, format string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{typ}, Format: format}}
}

func implementsSchemaTyper(t reflect.Type) bool {
	return t.Implements(schemaTyperType) || reflect.PointerTo(t).Implements(schemaTyperType)
}

// define builds the definition of the named type t (once) and returns its name.
func (b *builder) define(t reflect.Type) string {
	name := DefinitionName(t)
	if _, ok := b.defs[name]; ok {
		return name
	}
	s := &spec.Schema{}
	// Registered before the fields are walked, so that recursive types terminate.
	b.defs[name] = s
	switch {
	case implementsSchemaTyper(t):
		*s = b.customSchema(t)
	case objectTypes[t]:
		*s = typed("object", "")
	default:
		*s = b.structSchema(t)
	}
	return name
}

// customSchema is the schema of a type that names its own (Time, Quantity, IntOrString ...).
func (b *builder) customSchema(t reflect.Type) spec.Schema {
	v := reflect.New(t).Elem().Interface()
	typer, ok := v.(schemaTyper)
	if !ok {
		typer = reflect.New(t).Interface().(schemaTyper)
	}
	if b.flavor == flavorV3 {
		if oneOf, ok := v.(v3OneOfTyper); ok {
			s := spec.Schema{SchemaProps: spec.SchemaProps{Format: typer.OpenAPISchemaFormat()}}
			for _, typ := range oneOf.OpenAPIV3OneOfTypes() {
				s.OneOf = append(s.OneOf, typed(typ, ""))
			}
			if s.Format == "int-or-string" {
				s.AddExtension(extIntOrString, true)
			}
			return s
		}
	}
	types := typer.OpenAPISchemaType()
	s := spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray(types), Format: typer.OpenAPISchemaFormat()}}
	return s
}

// structSchema describes a struct by its JSON fields, as encoding/json sees them.
func (b *builder) structSchema(t reflect.Type) spec.Schema {
	s := typed("object", "")
	s.Properties = map[string]spec.Schema{}
	s.Description = swaggerDoc(t)[""]
	inferRequired := !hasObjectMeta(t)
	b.addFields(t, &s, inferRequired)
	sort.Strings(s.Required)
	return s
}

func hasObjectMeta(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if derefType(t.Field(i).Type) == objectMetaType {
			return true
		}
	}
	return false
}

// addFields adds t's JSON fields to s, flattening embedded structs as encoding/json does.
func (b *builder) addFields(t reflect.Type, s *spec.Schema, inferRequired bool) {
	docs := swaggerDoc(t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && (f.Anonymous || hasOption(opts, "inline")) {
			if ft := derefType(f.Type); ft.Kind() == reflect.Struct && !implementsSchemaTyper(ft) {
				b.addFields(ft, s, inferRequired)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.Properties[name] = b.fieldSchema(f, docs[name])
		if inferRequired && required(f.Type, opts) {
			s.Required = append(s.Required, name)
		}
	}
}

// required is the heuristic that stands in for kube's +required markers, which reflection
// cannot see: a field that JSON always writes (no omitempty) is required, unless it is a
// pointer (k8s.io/api leaves many optional pointers without omitempty, e.g. GRPCAction.service).
// It is applied only to structs without ObjectMeta (the nested types), because top-level kinds
// leave fields such as rules without omitempty yet optional. A missed required field costs a
// line in kubectl explain; a wrong one would make clients reject valid objects.
func required(t reflect.Type, opts string) bool {
	return t.Kind() != reflect.Pointer &&
		!hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") && !hasOption(opts, "inline")
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// fieldSchema is the schema of a struct field: its type's, with the field's description and
// the patchStrategy and patchMergeKey struct tags carried over as kube's generator does. In v3
// a reference cannot have siblings, so one that needs them is wrapped in allOf, as kube does.
func (b *builder) fieldSchema(f reflect.StructField, description string) spec.Schema {
	prop := b.schemaOf(f.Type)
	strategy, mergeKey := f.Tag.Get("patchStrategy"), f.Tag.Get("patchMergeKey")
	if description == "" && strategy == "" && mergeKey == "" {
		return prop
	}
	if b.flavor == flavorV3 && prop.Ref.String() != "" {
		prop = spec.Schema{SchemaProps: spec.SchemaProps{AllOf: []spec.Schema{prop}}}
	}
	prop.Description = description
	if mergeKey != "" {
		prop.AddExtension(extPatchMergeKey, mergeKey)
	}
	if strategy != "" {
		prop.AddExtension(extPatchStrategy, strategy)
	}
	return prop
}
