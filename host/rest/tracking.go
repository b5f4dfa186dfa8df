package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/managedfields"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// trackingConverter is the type converter of the field manager that records the fields a
// non-apply write changes (kube's FieldManager.Update, on every create, update and patch). That
// manager turns the live and the new object into typed values and compares them; most of its
// cost is kube's converter validating both against the schema, and walking the live object's
// managedFields, which it then throws away. This converter reaches the same managed fields with
// less work, in two steps that change nothing a client can see:
//
//   - It leaves the objects' managedFields out. The new object has none by then (the field
//     manager removes them before converting); the live object's only add paths under
//     metadata.managedFields to the comparison's removed set, and removing them changes no
//     manager's set as long as no set holds such a path and the entries validate. trackUpdate
//     checks both (managedFieldsPlain) before it picks this converter.
//   - For a kind whose Go type is closed (see closedType and closedSchema), it skips the
//     validation: every value of that type validates against the schema generated from it, and
//     the few errors validation could still report (an associative list item without its key)
//     the comparison reports too, so the write ends the same way.
//
// Custom resources (unstructured) and anything not of the kind go to kube's converter as they
// are.
type trackingConverter struct {
	managedfields.TypeConverter
	kind   schema.GroupVersionKind
	goType reflect.Type
	// schema and typeRef are the kind's, as kube's converter resolves them; unvalidated says
	// the kind's values need no validation.
	schema      *smdschema.Schema
	typeRef     smdschema.TypeRef
	unvalidated bool
}

// newTrackingConverter wraps kube's converter for one kind; it returns kube's converter itself
// for custom resources and for kinds it has no schema for.
func newTrackingConverter(kube managedfields.TypeConverter, kind schema.GroupVersionKind, newObj func() runtime.Object) (managedfields.TypeConverter, error) {
	empty := newObj()
	if _, ok := empty.(*unstructured.Unstructured); ok {
		return kube, nil
	}
	empty.GetObjectKind().SetGroupVersionKind(kind)
	tv, err := kube.ObjectToTyped(empty)
	if err != nil {
		return kube, nil
	}
	goType := reflect.TypeOf(empty)
	if goType.Kind() != reflect.Pointer || goType.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%s is a %s, not a pointer to a struct", kind, goType)
	}
	return &trackingConverter{
		TypeConverter: kube,
		kind:          kind,
		goType:        goType,
		schema:        tv.Schema(),
		typeRef:       tv.TypeRef(),
		unvalidated:   closedType(goType.Elem(), map[reflect.Type]bool{}) && closedSchema(tv.Schema(), tv.TypeRef(), false, map[closedSchemaKey]bool{}),
	}, nil
}

// ObjectToTyped converts obj, without its managedFields, to a typed value.
func (c *trackingConverter) ObjectToTyped(obj runtime.Object, opts ...typed.ValidationOptions) (*typed.TypedValue, error) {
	// The field manager's Update asks for AllowDuplicates on both objects; any other caller
	// gets kube's conversion.
	if reflect.TypeOf(obj) != c.goType || obj.GetObjectKind().GroupVersionKind() != c.kind || !slices.Contains(opts, typed.AllowDuplicates) {
		return c.TypeConverter.ObjectToTyped(obj, opts...)
	}
	obj = withoutManagedFields(obj)
	if !c.unvalidated {
		return c.TypeConverter.ObjectToTyped(obj, opts...)
	}
	v, err := value.NewValueReflect(obj)
	if err != nil {
		return nil, fmt.Errorf("error creating struct value reflector: %w", err)
	}
	return typed.AsTypedUnvalidated(v, c.schema, c.typeRef), nil
}

// withoutManagedFields returns obj, or a shallow copy of it with no managedFields.
func withoutManagedFields(obj runtime.Object) runtime.Object {
	m, err := meta.Accessor(obj)
	if err != nil || len(m.GetManagedFields()) == 0 {
		return obj
	}
	v := reflect.ValueOf(obj)
	cp := reflect.New(v.Type().Elem())
	cp.Elem().Set(v.Elem())
	out := cp.Interface().(runtime.Object)
	if m, err := meta.Accessor(out); err == nil {
		m.SetManagedFields(nil)
	}
	return out
}

// managedFieldsPlain reports whether a trackingConverter may leave these entries out: each
// entry's fields are a JSON object (so kube's validation of the entries cannot fail) that
// mentions no managedFields (so no manager's set holds a path under metadata.managedFields).
// A backslash could spell the name with escapes, so it counts as a mention.
func managedFieldsPlain(obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	if err != nil {
		return false
	}
	for _, e := range m.GetManagedFields() {
		if e.FieldsV1 == nil {
			continue
		}
		raw := e.FieldsV1.Raw
		if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
			return false
		}
		if bytes.IndexByte(raw, '\\') >= 0 || bytes.Contains(raw, []byte("managedFields")) || !json.Valid(raw) {
			return false
		}
	}
	return true
}

// marshalerType is what the structured-merge-diff reflection asks a type's own JSON form of.
var marshalerType = reflect.TypeFor[json.Marshaler]()

// closedMarshalers are the types with their own JSON form whose every value fits the schema
// registry/openapi gives them: a string (Time, MicroTime and Duration: a string or null,
// Quantity: a string) or int-or-string (IntOrString).
var closedMarshalers = map[reflect.Type]bool{
	reflect.TypeFor[metav1.Time]():        true,
	reflect.TypeFor[metav1.MicroTime]():   true,
	reflect.TypeFor[metav1.Duration]():    true,
	reflect.TypeFor[resource.Quantity]():  true,
	reflect.TypeFor[intstr.IntOrString](): true,
}

var objectMetaType = reflect.TypeFor[metav1.ObjectMeta]()

// closedType reports whether every value of t has the JSON shape of the schema registry/openapi
// generates from t: t holds no interface, and no type with its own JSON form other than
// closedMarshalers (RawExtension and FieldsV1 hold any JSON). ObjectMeta's managedFields are
// not looked at: the trackingConverter leaves them out.
func closedType(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	if t.Kind() == reflect.Pointer {
		return closedType(t.Elem(), seen)
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return closedMarshalers[t]
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 || closedType(t.Elem(), seen)
	case reflect.Map:
		return t.Key().Kind() == reflect.String && closedType(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" || (t == objectMetaType && f.Name == "ManagedFields") {
				continue
			}
			if !closedType(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false
}

type closedSchemaKey struct {
	name        string
	underAtomic bool
}

// closedSchema reports whether the schema at tr holds no associative list (one with keys, or a
// set) inside an atomic list or map. Validation looks at every list item for its keys, but the
// comparison does not look inside an atomic value; everywhere else the comparison checks what
// validation would.
func closedSchema(s *smdschema.Schema, tr smdschema.TypeRef, underAtomic bool, seen map[closedSchemaKey]bool) bool {
	if tr.NamedType != nil {
		key := closedSchemaKey{name: *tr.NamedType, underAtomic: underAtomic}
		if tr.ElementRelationship != nil {
			key.name += "/" + string(*tr.ElementRelationship)
		}
		if seen[key] {
			return true
		}
		seen[key] = true
	}
	atom, ok := s.Resolve(tr)
	if !ok {
		return false
	}
	if l := atom.List; l != nil {
		if underAtomic && l.ElementRelationship == smdschema.Associative {
			return false
		}
		if !closedSchema(s, l.ElementType, underAtomic || l.ElementRelationship == smdschema.Atomic, seen) {
			return false
		}
	}
	if m := atom.Map; m != nil {
		inner := underAtomic || m.ElementRelationship == smdschema.Atomic
		for _, f := range m.Fields {
			if !closedSchema(s, f.Type, inner, seen) {
				return false
			}
		}
		if m.ElementType != (smdschema.TypeRef{}) && !closedSchema(s, m.ElementType, inner, seen) {
			return false
		}
	}
	return true
}
