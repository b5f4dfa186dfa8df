package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// etcdClient is the client of the one embedded etcd the package's tests share; each test env
// keeps its objects under its own key prefix.
var etcdClient *clientv3.Client

func TestMain(m *testing.M) {
	os.Exit(embeddedtest.Run(func(c *clientv3.Client) int {
		etcdClient = c
		return m.Run()
	}))
}

var prefixCounter atomic.Int64

// env is the REST handler over every built-in resource on a private part of the shared etcd,
// behind the real RequestInfo filter, with namespace "ns" created.
type env struct {
	reg     *registry.Registry
	handler http.Handler
}

func newEnv(t testing.TB) *env {
	return newEnvWith(t, nil, Options{})
}

func newEnvWith(t testing.TB, adm *admission.Chain, opts Options) *env {
	t.Helper()
	prefix := fmt.Sprintf("/rest-test-%d", prefixCounter.Add(1))
	reg := registry.New()
	deps := generic.Deps{Namespace: generic.NamespaceGetter(reg)}
	err := generic.Install(reg, builtin.Resources(), deps, func(res *registry.Resource) (storage.Interface, error) {
		return etcd3.New(etcdClient, prefix, generic.Codec(res)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{reg: reg, handler: filters.WithRequestInfo(NewHandler(reg, adm, opts))}
	e.mustDo(t, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}`, http.StatusCreated)
	return e
}

// response is a recorded answer.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) status(t testing.TB) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := r.decode(&st); err != nil {
		t.Fatalf("body is not a Status: %v: %s", err, r.body)
	}
	return st
}

func (r response) into(t testing.TB, v interface{}) {
	t.Helper()
	if err := r.decode(v); err != nil {
		t.Fatalf("decoding the body: %v: %s", err, r.body)
	}
}

// decode reads the body in the media type of its Content-Type.
func (r response) decode(v interface{}) error {
	switch r.header.Get("Content-Type") {
	case mediaProtobuf:
		obj, ok := v.(runtime.Object)
		if !ok {
			return fmt.Errorf("a protobuf body cannot be read into %T", v)
		}
		_, gvk, err := protobufSerializer.Decode(r.body, nil, obj)
		if err == nil {
			// The envelope names the kind; the message does not carry it.
			obj.GetObjectKind().SetGroupVersionKind(*gvk)
		}
		return err
	case mediaYAML:
		return yaml.Unmarshal(r.body, v)
	}
	return json.Unmarshal(r.body, v)
}

// req is one request to send; headers are "Name: value" pairs.
type req struct {
	method, path, body string
	headers            []string
}

func (e *env) do(t testing.TB, r req) response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for _, h := range r.headers {
		k, v, _ := strings.Cut(h, ":")
		hr.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, hr)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// mustDo sends a JSON request and fails the test unless the answer has the code.
func (e *env) mustDo(t testing.TB, method, path, body string, code int) response {
	t.Helper()
	resp := e.do(t, req{method: method, path: path, body: body})
	if resp.code != code {
		t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, resp.code, code, resp.body)
	}
	return resp
}

const cmPath = "/api/v1/namespaces/ns/configmaps"

// createConfigMap stores a configmap named name with data k=v and label a=b.
func (e *env) createConfigMap(t testing.TB, name string) response {
	t.Helper()
	return e.mustDo(t, "POST", cmPath,
		fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"labels":{"a":"b"}},"data":{"k":"v"}}`, name),
		http.StatusCreated)
}

// stored is the stored state of a configmap as the handler returns it, or "" when missing.
func (e *env) stored(t testing.TB, name string) string {
	t.Helper()
	resp := e.do(t, req{method: "GET", path: cmPath + "/" + name})
	if resp.code == http.StatusNotFound {
		return ""
	}
	if resp.code != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", name, resp.code, resp.body)
	}
	return string(resp.body)
}
