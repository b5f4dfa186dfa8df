package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/host/status"
)

// encodeJSON encodes obj as JSON with kind and apiVersion set to gvk when the object lacks them.
// obj is never changed: it may be shared with the watch cache and other requests.
func encodeJSON(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", obj, err)
	}
	if gvk.Kind == "" || !obj.GetObjectKind().GroupVersionKind().Empty() {
		return data, nil
	}
	return withTypeMeta(data, gvk), nil
}

// withTypeMeta puts kind and apiVersion first in a JSON object that lacks them.
func withTypeMeta(data []byte, gvk schema.GroupVersionKind) []byte {
	if len(data) < 2 || data[0] != '{' {
		return data
	}
	var b bytes.Buffer
	b.Grow(len(data) + 64)
	b.WriteString(`{"kind":`)
	k, _ := json.Marshal(gvk.Kind)
	b.Write(k)
	b.WriteString(`,"apiVersion":`)
	v, _ := json.Marshal(gvk.GroupVersion().String())
	b.Write(v)
	rest := data[1:]
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes()
}

// withKind returns obj with its kind set to gvk: obj itself when it has that kind, else a copy
// (a shallow one for typed objects, whose struct is all that changes), since obj may be shared
// with the watch cache and other requests.
func withKind(obj runtime.Object, gvk schema.GroupVersionKind) runtime.Object {
	if obj.GetObjectKind().GroupVersionKind() == gvk {
		return obj
	}
	var out runtime.Object
	v := reflect.ValueOf(obj)
	if _, shared := obj.(runtime.Unstructured); !shared && v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		out = c.Interface().(runtime.Object)
	} else {
		out = obj.DeepCopyObject()
	}
	out.GetObjectKind().SetGroupVersionKind(gvk)
	return out
}

// listKind is the kind of a list of kind.
func listKind(gvk schema.GroupVersionKind) schema.GroupVersionKind {
	return gvk.GroupVersion().WithKind(gvk.Kind + "List")
}

// kindOf is the kind a response object is written as: Status for a Status, the list kind for
// lists, gvk otherwise.
func kindOf(obj runtime.Object, gvk schema.GroupVersionKind) schema.GroupVersionKind {
	if _, ok := obj.(*metav1.Status); ok {
		return schema.GroupVersionKind{Version: "v1", Kind: "Status"}
	}
	if meta.IsListType(obj) {
		return listKind(gvk)
	}
	return gvk
}

// pretty reports whether the client asked for indented output, as kube: ?pretty=true, or a
// user agent that is a person's tool.
func pretty(r *http.Request) bool {
	switch r.URL.Query().Get("pretty") {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	ua := r.UserAgent()
	return strings.HasPrefix(ua, "curl") || strings.HasPrefix(ua, "Wget") || strings.HasPrefix(ua, "Mozilla/5.0")
}

// encodeAs encodes obj, of kind gvk when it carries none, in a media type: JSON (indented when
// indent is set), YAML or protobuf. JSON and YAML end in a newline, as kube's serializers write
// them; stream adds none, for watch events, which frame their objects themselves.
func encodeAs(mediaType string, obj runtime.Object, gvk schema.GroupVersionKind, indent, stream bool) ([]byte, error) {
	if mediaType == mediaProtobuf {
		return encodeProtobuf(obj, gvk)
	}
	data, err := encodeJSON(obj, gvk)
	if err != nil {
		return nil, err
	}
	switch {
	case mediaType == mediaYAML:
		y, err := yaml.JSONToYAML(data)
		if err != nil {
			return nil, fmt.Errorf("converting the response to YAML: %w", err)
		}
		return y, nil
	case stream:
		return data, nil
	case indent:
		var b bytes.Buffer
		if err := json.Indent(&b, data, "", "  "); err != nil {
			return nil, fmt.Errorf("indenting the response: %w", err)
		}
		b.WriteByte('\n')
		return b.Bytes(), nil
	}
	return append(data, '\n'), nil
}

// writeRaw writes an encoded response body.
func writeRaw(w http.ResponseWriter, code int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeObject writes obj in the negotiated form with the HTTP code.
func (s *scope) writeObject(code int, obj runtime.Object) {
	body, err := s.encodeResponse(obj)
	if err != nil {
		status.Write(s.w, s.r, err)
		return
	}
	writeRaw(s.w, code, s.out.contentType(), body)
}

// encodeResponse encodes obj in the negotiated form: the object itself, a Table or
// PartialObjectMetadata, in the negotiated media type.
func (s *scope) encodeResponse(obj runtime.Object) ([]byte, error) {
	out, err := s.transform(obj)
	if err != nil {
		return nil, err
	}
	return encodeAs(s.out.mediaType, out, kindOf(out, s.kind), pretty(s.r), false)
}

// transform turns obj into the negotiated form: itself, a Table or PartialObjectMetadata. A
// Status is always written as itself.
func (s *scope) transform(obj runtime.Object) (runtime.Object, error) {
	if _, ok := obj.(*metav1.Status); ok || s.out.as == asNone {
		if meta.IsListType(obj) && meta.LenList(obj) == 0 {
			// kube answers an empty list with "items":[], never null. Lists are built per request,
			// so setting the field does not touch shared state.
			if err := meta.SetList(obj, []runtime.Object{}); err != nil {
				return nil, fmt.Errorf("emptying the list: %w", err)
			}
		}
		return obj, nil
	}
	switch s.out.as {
	case asTable:
		return s.toTable(obj)
	case asPartial:
		return s.toPartial(obj)
	}
	return nil, fmt.Errorf("unknown transformation %q", s.out.as)
}
