package rest

import (
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestNegotiateOutput(t *testing.T) {
	cases := []struct {
		name   string
		accept string
		want   output
		err    int // HTTP code of the error, 0 for none
	}{
		{"empty", "", output{mediaType: mediaJSON}, 0},
		{"json", "application/json", output{mediaType: mediaJSON}, 0},
		{"yaml", "application/yaml", output{mediaType: mediaYAML}, 0},
		{"anything", "*/*", output{mediaType: mediaJSON}, 0},
		{"any application type", "application/*", output{mediaType: mediaJSON}, 0},
		{"kubectl get", kubectlGetAccept, output{mediaType: mediaJSON, as: asTable, metaVersion: "v1"}, 0},
		{"table v1beta1", "application/json;as=Table;v=v1beta1;g=meta.k8s.io", output{mediaType: mediaJSON, as: asTable, metaVersion: "v1beta1"}, 0},
		{"table with spaces", "application/json; as=Table; v=v1; g=meta.k8s.io", output{mediaType: mediaJSON, as: asTable, metaVersion: "v1"}, 0},
		{"partial metadata", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", output{mediaType: mediaJSON, as: asPartial, metaVersion: "v1"}, 0},
		{"partial metadata list", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", output{mediaType: mediaJSON, as: asPartial, metaVersion: "v1"}, 0},
		{"client-go protobuf", "application/vnd.kubernetes.protobuf, application/json", output{mediaType: mediaProtobuf}, 0},
		{"protobuf table falls back", "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", output{mediaType: mediaJSON}, 0},
		{"protobuf metadata", "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", output{mediaType: mediaProtobuf, as: asPartial, metaVersion: "v1"}, 0},
		{"protobuf watch stream", "application/vnd.kubernetes.protobuf;stream=watch", output{mediaType: mediaProtobuf}, 0},
		{"yaml has no stream", "application/yaml;stream=watch, application/json", output{mediaType: mediaJSON}, 0},
		{"unknown stream", "application/json;stream=other", output{}, http.StatusNotAcceptable},
		{"protobuf preferred by quality", "application/json;q=0.9, application/vnd.kubernetes.protobuf", output{mediaType: mediaProtobuf}, 0},
		{"quality orders", "application/json;q=0.5, application/yaml", output{mediaType: mediaYAML}, 0},
		{"zero quality is refused", "application/json;q=0", output{}, http.StatusNotAcceptable},
		{"unknown transformation is skipped", "application/json;as=Widget;v=v1;g=meta.k8s.io, application/yaml", output{mediaType: mediaYAML}, 0},
		{"table of another group is skipped", "application/json;as=Table;v=v1;g=example.com", output{}, http.StatusNotAcceptable},
		{"table of an unknown version is skipped", "application/json;as=Table;v=v9;g=meta.k8s.io", output{}, http.StatusNotAcceptable},
		{"only protobuf", "application/vnd.kubernetes.protobuf", output{mediaType: mediaProtobuf}, 0},
		{"text", "text/html", output{}, http.StatusNotAcceptable},
		{"garbage", ";;;,,", output{}, http.StatusNotAcceptable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := negotiateOutput(tc.accept, true)
			if tc.err != 0 {
				if code := codeOf(err); code != tc.err {
					t.Errorf("error %v (HTTP %d), want HTTP %d", err, code, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestNegotiateOutputCustomResource: custom resources answer protobuf only as
// PartialObjectMetadata, and their 406 lists the same types as a built-in's, as kube's.
func TestNegotiateOutputCustomResource(t *testing.T) {
	cases := []struct {
		accept string
		want   output
		err    int
	}{
		{"application/vnd.kubernetes.protobuf", output{}, http.StatusNotAcceptable},
		{"application/vnd.kubernetes.protobuf, application/json", output{mediaType: mediaJSON}, 0},
		{"application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", output{mediaType: mediaProtobuf, as: asPartial, metaVersion: "v1"}, 0},
		{"*/*", output{mediaType: mediaJSON}, 0},
	}
	for _, tc := range cases {
		got, err := negotiateOutput(tc.accept, false)
		if tc.err != 0 {
			if codeOf(err) != tc.err {
				t.Errorf("%q: %v, want HTTP %d", tc.accept, err, tc.err)
			}
			want := "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
			if err.Error() != want {
				t.Errorf("%q: message %q, want %q", tc.accept, err.Error(), want)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.accept, got, err, tc.want)
		}
	}
}

func codeOf(err error) int {
	if st, ok := err.(apierrors.APIStatus); ok {
		return int(st.Status().Code)
	}
	return 0
}

func TestBodyMediaType(t *testing.T) {
	cases := []struct {
		contentType string
		want        string
		err         int
	}{
		{"", mediaJSON, 0},
		{"application/json", mediaJSON, 0},
		{"application/json; charset=utf-8", mediaJSON, 0},
		{"application/yaml", mediaYAML, 0},
		{"application/vnd.kubernetes.protobuf", mediaProtobuf, 0},
		{"text/plain", "", http.StatusUnsupportedMediaType},
		{"not a media type", "", http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		got, err := bodyMediaType(tc.contentType, bodyMediaTypes(newConfigMap))
		if got != tc.want || codeOf(err) != tc.err {
			t.Errorf("%q: %q, %v; want %q, HTTP %d", tc.contentType, got, err, tc.want, tc.err)
		}
	}
}

func TestCustomResourcesTakeNoProtobuf(t *testing.T) {
	_, err := bodyMediaType(mediaProtobuf, bodyMediaTypes(func() runtime.Object { return &unstructured.Unstructured{} }))
	if codeOf(err) != http.StatusUnsupportedMediaType {
		t.Errorf("protobuf body for a custom resource: %v, want 415", err)
	}
}

func TestAddWarning(t *testing.T) {
	cases := map[string]string{
		`unknown field "spec.foo"`: `299 - "unknown field \"spec.foo\""`,
		`a\b`:                      `299 - "a\\b"`,
		"line\nbreak":              `299 - "line break"`,
	}
	for text, want := range cases {
		h := http.Header{}
		AddWarning(h, text)
		if got := h.Get("Warning"); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}

// FuzzNegotiateOutput checks that no Accept header panics, and that any answer is a form kapi
// can write or a 406.
func FuzzNegotiateOutput(f *testing.F) {
	for _, s := range []string{"", "application/json", kubectlGetAccept, "application/json;q=0.5, application/yaml",
		"application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", ";;;,,", "*/*;q=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got, err := negotiateOutput(accept, true)
		if err != nil {
			if codeOf(err) != http.StatusNotAcceptable {
				t.Fatalf("error %v is not a 406", err)
			}
			return
		}
		if got.mediaType != mediaJSON && got.mediaType != mediaYAML && got.mediaType != mediaProtobuf {
			t.Fatalf("media type %q", got.mediaType)
		}
		if got.as == asTable && got.mediaType == mediaProtobuf {
			t.Fatalf("a Table in protobuf, which has none: %+v", got)
		}
		if got.as != asNone && got.metaVersion != "v1" && got.metaVersion != "v1beta1" {
			t.Fatalf("transformation %+v without a meta version", got)
		}
		if strings.TrimSpace(accept) == "" && got != (output{mediaType: mediaJSON}) {
			t.Fatalf("empty Accept gave %+v", got)
		}
	})
}
