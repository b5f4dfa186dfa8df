package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestProtobufBodiesBecomeJSON(t *testing.T) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "a"},
		Data:       map[string]string{"k": "v"},
	}
	var pbBody bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(cm, &pbBody); err != nil {
		t.Fatal(err)
	}
	var gotType string
	var gotBody []byte
	h := withProtobufBodiesAsJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType = r.Header.Get("Content-Type")
		gotBody, _ = io.ReadAll(r.Body)
	}))
	cases := []struct {
		name, contentType string
		body              []byte
		code              int
		wantType          string
	}{
		{"protobuf", "application/vnd.kubernetes.protobuf", pbBody.Bytes(), 200, "application/json"},
		{"json untouched", "application/json", []byte(`{"a":1}`), 200, "application/json"},
		{"malformed protobuf", "application/vnd.kubernetes.protobuf", []byte("k8s\x00garbage"), 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotType, gotBody = "", nil
			req := httptest.NewRequest("POST", "/api/v1/namespaces/a/configmaps", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code || gotType != tc.wantType {
				t.Fatalf("code %d type %q", rec.Code, gotType)
			}
			if tc.name == "protobuf" {
				var back corev1.ConfigMap
				if err := json.Unmarshal(gotBody, &back); err != nil {
					t.Fatal(err)
				}
				if back.Kind != "ConfigMap" || back.APIVersion != "v1" || back.Name != "x" || back.Data["k"] != "v" {
					t.Fatalf("transcoded %s", gotBody)
				}
			}
		})
	}
}
