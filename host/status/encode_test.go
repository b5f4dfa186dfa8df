package status

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// TestWriteNegotiated: an error body comes in the form the Accept header negotiates, as kube's
// ErrorNegotiated writes it, and in JSON when nothing fits.
func TestWriteNegotiated(t *testing.T) {
	cases := []struct {
		accept, want string
	}{
		{"", MediaJSON},
		{"*/*", MediaJSON},
		{"application/yaml", MediaYAML},
		{"application/vnd.kubernetes.protobuf, application/json", MediaProtobuf},
		{"application/json;q=0.5, application/vnd.kubernetes.protobuf", MediaProtobuf},
		{"application/vnd.kubernetes.protobuf;stream=watch", MediaProtobuf},
		{"application/yaml;stream=watch, application/json", MediaJSON},
		// kubectl get: the Table ranges are passed over, a Status is no Table.
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/yaml", MediaYAML},
		// Negotiation fails: the error is still written, in JSON.
		{"application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", MediaJSON},
		{"text/html", MediaJSON},
	}
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x")
	for _, tc := range cases {
		t.Run(tc.accept, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			Write(rec, r, notFound)
			if got := rec.Header().Get("Content-Type"); got != tc.want {
				t.Fatalf("Content-Type %q, want %q", got, tc.want)
			}
			var st metav1.Status
			var err error
			switch tc.want {
			case MediaProtobuf:
				_, _, err = protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Decode(rec.Body.Bytes(), nil, &st)
			case MediaYAML:
				err = yaml.Unmarshal(rec.Body.Bytes(), &st)
			default:
				err = json.Unmarshal(rec.Body.Bytes(), &st)
			}
			if err != nil {
				t.Fatalf("decoding %q: %v", rec.Body.Bytes(), err)
			}
			if rec.Code != http.StatusNotFound || st.Code != http.StatusNotFound || st.Reason != metav1.StatusReasonNotFound || st.Message != `configmaps "x" not found` {
				t.Errorf("HTTP %d, %+v", rec.Code, st)
			}
		})
	}
}
