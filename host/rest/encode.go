package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

// render turns JSON bytes into the negotiated media type.
func render(data []byte, out output, indent bool) ([]byte, error) {
	if out.mediaType == mediaYAML {
		y, err := yaml.JSONToYAML(data)
		if err != nil {
			return nil, fmt.Errorf("converting the response to YAML: %w", err)
		}
		return y, nil
	}
	if indent {
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
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeObject writes obj in the negotiated form with the HTTP code.
func (s *scope) writeObject(code int, obj runtime.Object) {
	data, err := s.transformAndEncode(obj)
	if err != nil {
		status.Write(s.w, s.r, err)
		return
	}
	body, err := render(data, s.out, pretty(s.r))
	if err != nil {
		status.InternalError(s.w, s.r, err)
		return
	}
	writeRaw(s.w, code, s.out.contentType(), body)
}

// transformAndEncode encodes obj as JSON in the negotiated form (the object itself, a Table or
// PartialObjectMetadata). A Status is always written as itself.
func (s *scope) transformAndEncode(obj runtime.Object) ([]byte, error) {
	if _, ok := obj.(*metav1.Status); ok || s.out.as == asNone {
		if meta.IsListType(obj) && meta.LenList(obj) == 0 {
			// kube answers an empty list with "items":[], never null. Lists are built per request,
			// so setting the field does not touch shared state.
			if err := meta.SetList(obj, []runtime.Object{}); err != nil {
				return nil, fmt.Errorf("emptying the list: %w", err)
			}
		}
		return encodeJSON(obj, kindOf(obj, s.kind))
	}
	switch s.out.as {
	case asTable:
		t, err := s.toTable(obj)
		if err != nil {
			return nil, err
		}
		return json.Marshal(t)
	case asPartial:
		p, err := s.toPartial(obj)
		if err != nil {
			return nil, err
		}
		return json.Marshal(p)
	}
	return nil, fmt.Errorf("unknown transformation %q", s.out.as)
}
