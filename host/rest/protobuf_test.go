package rest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func protobufBody(t *testing.T, obj runtime.Object) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := protobufSerializer.Encode(obj, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (e *env) doProtobuf(t *testing.T, method, path string, body []byte) response {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", mediaProtobuf)
	r.Header.Set("Accept", "application/vnd.kubernetes.protobuf,application/json")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// TestProtobufBodies sends what client-go's clientsets send: protobuf bodies, accepting protobuf
// and JSON; answers and errors come in protobuf.
func TestProtobufBodies(t *testing.T) {
	e := newEnv(t)
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "pb"}, Data: map[string]string{"k": "v"}}
	resp := e.doProtobuf(t, "POST", cmPath, protobufBody(t, cm))
	if resp.code != http.StatusCreated || resp.header.Get("Content-Type") != mediaProtobuf {
		t.Fatalf("create: HTTP %d %q: %s", resp.code, resp.header.Get("Content-Type"), resp.body)
	}
	var created corev1.ConfigMap
	resp.into(t, &created)
	if created.Data["k"] != "v" || created.Namespace != "ns" {
		t.Errorf("created %+v", created)
	}

	created.Data["k"] = "changed"
	created.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	if resp = e.doProtobuf(t, "PUT", cmPath+"/pb", protobufBody(t, &created)); resp.code != http.StatusOK {
		t.Fatalf("update: HTTP %d: %s", resp.code, resp.body)
	}

	secret := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "s"}}
	resp = e.doProtobuf(t, "POST", cmPath, protobufBody(t, secret))
	if st := resp.status(t); resp.code != http.StatusBadRequest || st.Reason != metav1.StatusReasonBadRequest || resp.header.Get("Content-Type") != mediaProtobuf {
		t.Errorf("a Secret posted as a ConfigMap: HTTP %d %+v, want 400", resp.code, st)
	}

	dry := &metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}, DryRun: []string{metav1.DryRunAll}}
	if resp = e.doProtobuf(t, "DELETE", cmPath+"/pb", protobufBody(t, dry)); resp.code != http.StatusOK {
		t.Fatalf("dry-run delete: HTTP %d: %s", resp.code, resp.body)
	}
	if e.stored(t, "pb") == "" {
		t.Fatal("a dry-run delete with protobuf options deleted the object")
	}
	if resp = e.doProtobuf(t, "DELETE", cmPath+"/pb", nil); resp.code != http.StatusOK || e.stored(t, "pb") != "" {
		t.Errorf("delete: HTTP %d, still stored: %v", resp.code, e.stored(t, "pb") != "")
	}
}

// FuzzDecodeProtobuf checks that no protobuf body panics the decoder, and that every failure is
// a 400.
func FuzzDecodeProtobuf(f *testing.F) {
	var b bytes.Buffer
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "a"}, Data: map[string]string{"k": "v"}}
	if err := protobufSerializer.Encode(cm, &b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("k8s\x00"))
	f.Add([]byte(`{"kind":"ConfigMap"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeProtobuf(body, configMapKind, newConfigMap)
		if err != nil {
			if codeOf(err) != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if _, ok := d.obj.(*corev1.ConfigMap); !ok {
			t.Fatalf("decoded %T", d.obj)
		}
	})
}
