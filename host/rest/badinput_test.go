package rest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestBadInputIsRejectedAndChangesNothing sends every kind of bad request the issue lists and
// checks the code, the reason, and that the stored objects did not change.
func TestBadInputIsRejectedAndChangesNothing(t *testing.T) {
	e := newEnvWith(t, nil, Options{MaxRequestBodyBytes: 64 * 1024})
	var original corev1.ConfigMap
	e.createConfigMap(t, "keep").into(t, &original)
	before := e.stored(t, "keep")
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"x":"` + strings.Repeat("a", 64*1024) + `"}}`
	put := func(name, rv string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"resourceVersion":%q},"data":{"k":"changed"}}`, name, rv)
	}
	const (
		jsonCT  = "application/json"
		yamlCT  = "application/yaml"
		jsonPT  = "application/json-patch+json"
		mergePT = "application/merge-patch+json"
		smpPT   = "application/strategic-merge-patch+json"
	)
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		accept      string
		body        string
		code        int
		reason      metav1.StatusReason
		message     string // a part of the message, when kube's is worth pinning
	}{
		{"malformed JSON", "POST", cmPath, jsonCT, "", `{"apiVersion":"v1","kind":"ConfigMap",`, 400, metav1.StatusReasonBadRequest, "the object provided is unrecognized (must be of type ConfigMap)"},
		{"malformed YAML", "POST", cmPath, yamlCT, "", "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n", 400, metav1.StatusReasonBadRequest, "error converting YAML to JSON"},
		{"JSON that is not an object", "POST", cmPath, jsonCT, "", `[1,2]`, 400, metav1.StatusReasonBadRequest, ""},
		{"wrong field type", "POST", cmPath, jsonCT, "", `{"metadata":{"name":"x"},"data":{"k":1}}`, 400, metav1.StatusReasonBadRequest, `ConfigMap in version "v1" cannot be handled as a ConfigMap`},
		{"wrong kind", "POST", cmPath, jsonCT, "", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}`, 400, metav1.StatusReasonBadRequest, `Secret in version "v1" cannot be handled as a ConfigMap`},
		{"wrong apiVersion", "POST", cmPath, jsonCT, "", `{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 400, metav1.StatusReasonBadRequest, "the API version in the data (apps/v1) does not match the expected API version (v1)"},
		{"namespace differs from URL", "POST", cmPath, jsonCT, "", `{"metadata":{"name":"x","namespace":"other"}}`, 400, metav1.StatusReasonBadRequest, "the namespace of the provided object does not match the namespace sent on the request"},
		{"name differs from URL", "PUT", cmPath + "/keep", jsonCT, "", put("other", original.ResourceVersion), 400, metav1.StatusReasonBadRequest, "the name of the object (other) does not match the name on the URL (keep)"},
		{"stale resourceVersion", "PUT", cmPath + "/keep", jsonCT, "", put("keep", "1"), 409, metav1.StatusReasonConflict, ""},
		{"invalid name", "POST", cmPath, jsonCT, "", `{"metadata":{"name":"Not_Valid"}}`, 422, metav1.StatusReasonInvalid, ""},
		{"already exists", "POST", cmPath, jsonCT, "", `{"metadata":{"name":"keep"}}`, 409, metav1.StatusReasonAlreadyExists, ""},
		{"body over the limit", "POST", cmPath, jsonCT, "", big, 413, metav1.StatusReasonRequestEntityTooLarge, "limit is 65536"},
		{"patch over the limit", "PATCH", cmPath + "/keep", mergePT, "", big, 413, metav1.StatusReasonRequestEntityTooLarge, ""},
		{"malformed protobuf body", "POST", cmPath, "application/vnd.kubernetes.protobuf", "", "\x6b\x38\x73\x00\x0a", 400, metav1.StatusReasonBadRequest, ""},
		{"protobuf that is not protobuf", "POST", cmPath, "application/vnd.kubernetes.protobuf", "", `{"metadata":{"name":"x"}}`, 400, metav1.StatusReasonBadRequest, ""},
		{"body of an unknown media type", "POST", cmPath, "text/plain", "", `x`, 415, metav1.StatusReasonUnsupportedMediaType, ""},
		{"only HTML accepted", "GET", cmPath + "/keep", "", "text/html", "", 406, metav1.StatusReasonNotAcceptable, "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"},
		{"only a Table in protobuf accepted", "GET", cmPath + "/keep", "", "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", "", 406, metav1.StatusReasonNotAcceptable, ""},
		{"bad label selector", "GET", cmPath + "?labelSelector=a%3D%3D%3Db", "", "", "", 400, metav1.StatusReasonBadRequest, ""},
		{"unsupported field selector", "GET", cmPath + "?fieldSelector=data.k%3Dv", "", "", "", 400, metav1.StatusReasonBadRequest, "field label not supported: data.k"},
		{"malformed field selector", "GET", cmPath + "?fieldSelector=metadata.name%3D%3D%3Dx", "", "", "", 400, metav1.StatusReasonBadRequest, ""},
		{"bad limit", "GET", cmPath + "?limit=many", "", "", "", 400, metav1.StatusReasonBadRequest, ""},
		{"bad resourceVersion", "GET", cmPath + "?resourceVersion=abc", "", "", "", 400, metav1.StatusReasonBadRequest, ""},
		{"bad continue token", "GET", cmPath + "?limit=1&continue=not-a-token", "", "", "", 400, metav1.StatusReasonBadRequest, ""},
		{"resourceVersionMatch without resourceVersion", "GET", cmPath + "?resourceVersionMatch=Exact", "", "", "", 422, metav1.StatusReasonInvalid, ""},
		{"bad includeObject", "GET", cmPath + "?includeObject=Everything", "", "application/json;as=Table;v=v1;g=meta.k8s.io", "", 400, metav1.StatusReasonBadRequest, "unrecognized includeObject value"},
		{"dryRun other than All", "POST", cmPath + "?dryRun=Some", jsonCT, "", `{"metadata":{"name":"x"}}`, 422, metav1.StatusReasonInvalid, "dryRun"},
		{"bad fieldValidation", "POST", cmPath + "?fieldValidation=Loose", jsonCT, "", `{"metadata":{"name":"x"}}`, 422, metav1.StatusReasonInvalid, "fieldValidation"},
		{"malformed JSON patch", "PATCH", cmPath + "/keep", jsonPT, "", `{"op":"add"}`, 400, metav1.StatusReasonBadRequest, ""},
		{"JSON patch on a missing path", "PATCH", cmPath + "/keep", jsonPT, "", `[{"op":"replace","path":"/data/nothere/deeper","value":"x"}]`, 422, metav1.StatusReasonInvalid, ""},
		{"JSON patch test that fails", "PATCH", cmPath + "/keep", jsonPT, "", `[{"op":"test","path":"/data/k","value":"other"}]`, 422, metav1.StatusReasonInvalid, ""},
		{"malformed merge patch", "PATCH", cmPath + "/keep", mergePT, "", `{"data":`, 400, metav1.StatusReasonBadRequest, ""},
		{"malformed strategic patch", "PATCH", cmPath + "/keep", smpPT, "", `{"data":`, 400, metav1.StatusReasonBadRequest, ""},
		{"patch making the object invalid", "PATCH", cmPath + "/keep", mergePT, "", `{"metadata":{"labels":{"bad key!":"x"}}}`, 422, metav1.StatusReasonInvalid, ""},
		{"patch giving a field the wrong type", "PATCH", cmPath + "/keep", mergePT, "", `{"data":{"k":1}}`, 422, metav1.StatusReasonInvalid, ""},
		{"patch changing the kind", "PATCH", cmPath + "/keep", mergePT, "", `{"kind":"Secret"}`, 400, metav1.StatusReasonBadRequest, "changes the object's kind"},
		{"patch renaming the object", "PATCH", cmPath + "/keep", mergePT, "", `{"metadata":{"name":"renamed"}}`, 400, metav1.StatusReasonBadRequest, "does not match the name on the URL"},
		{"unsupported patch type", "PATCH", cmPath + "/keep", "text/plain", "", `x`, 415, metav1.StatusReasonUnsupportedMediaType, ""},
		{"apply without a field manager", "PATCH", cmPath + "/keep", "application/apply-patch+yaml", "", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\ndata:\n  k: applied\n", 422, metav1.StatusReasonInvalid, "fieldManager"},
		{"malformed apply configuration", "PATCH", cmPath + "/keep?fieldManager=t", "application/apply-patch+yaml", "", "data: [\n", 400, metav1.StatusReasonBadRequest, "error decoding YAML"},
		{"apply configuration of another kind", "PATCH", cmPath + "/keep?fieldManager=t", "application/apply-patch+yaml", "", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keep\n", 400, metav1.StatusReasonBadRequest, ""},
		{"patch of a missing object", "PATCH", cmPath + "/nothere", mergePT, "", `{"data":{"k":"x"}}`, 404, metav1.StatusReasonNotFound, ""},
		{"unknown resource", "GET", "/api/v1/namespaces/ns/widgets", "", "", "", 404, metav1.StatusReasonNotFound, "the server could not find the requested resource"},
		{"unknown group", "GET", "/apis/nothere.example.com/v1/widgets", "", "", "", 404, metav1.StatusReasonNotFound, ""},
		{"unknown subresource", "GET", cmPath + "/keep/widget", "", "", "", 404, metav1.StatusReasonNotFound, ""},
		{"verb the resource lacks", "DELETE", "/api/v1/namespaces", "", "", "", 405, metav1.StatusReasonMethodNotAllowed, ""},
		{"missing namespace", "POST", "/api/v1/namespaces/does-not-exist/configmaps", jsonCT, "", `{"metadata":{"name":"x"}}`, 404, metav1.StatusReasonNotFound, ""},
		{"get missing object", "GET", cmPath + "/nothere", "", "", "", 404, metav1.StatusReasonNotFound, `configmaps "nothere" not found`},
		{"delete missing object", "DELETE", cmPath + "/nothere", "", "", "", 404, metav1.StatusReasonNotFound, ""},
		{"delete with a wrong uid precondition", "DELETE", cmPath + "/keep", jsonCT, "", `{"preconditions":{"uid":"nope"}}`, 409, metav1.StatusReasonConflict, ""},
		{"malformed delete options", "DELETE", cmPath + "/keep", jsonCT, "", `{"gracePeriodSeconds":`, 400, metav1.StatusReasonBadRequest, ""},
		{"delete options of another kind", "DELETE", cmPath + "/keep", jsonCT, "", `{"kind":"ConfigMap"}`, 400, metav1.StatusReasonBadRequest, ""},
		{"bad propagationPolicy", "DELETE", cmPath + "/keep?propagationPolicy=Sometimes", "", "", "", 422, metav1.StatusReasonInvalid, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req{method: tc.method, path: tc.path, body: tc.body}
			if tc.contentType != "" {
				r.headers = append(r.headers, "Content-Type: "+tc.contentType)
			}
			if tc.accept != "" {
				r.headers = append(r.headers, "Accept: "+tc.accept)
			}
			resp := e.do(t, r)
			st := resp.status(t)
			t.Logf("HTTP %d %s: %s", resp.code, st.Reason, st.Message)
			if resp.code != tc.code {
				t.Errorf("HTTP %d, want %d (%+v)", resp.code, tc.code, st)
			}
			if st.Kind != "Status" || st.APIVersion != "v1" || st.Status != metav1.StatusFailure {
				t.Errorf("body is not a failure Status: %+v", st)
			}
			if st.Reason != tc.reason || int(st.Code) != tc.code {
				t.Errorf("Status reason %q code %d, want %q %d (message %q)", st.Reason, st.Code, tc.reason, tc.code, st.Message)
			}
			if st.Message == "" || !strings.Contains(st.Message, tc.message) {
				t.Errorf("message %q, want one containing %q", st.Message, tc.message)
			}
			if got := e.stored(t, "keep"); got != before {
				t.Errorf("the request changed the stored object:\n%s\nwas\n%s", got, before)
			}
		})
	}
	var list corev1.ConfigMapList
	e.mustDo(t, "GET", "/api/v1/configmaps", "", http.StatusOK).into(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("rejected requests stored objects: %d configmaps, want 1", len(list.Items))
	}
}

func TestCreateInTerminatingNamespaceIsForbidden(t *testing.T) {
	e := newEnv(t)
	e.mustDo(t, "POST", "/api/v1/namespaces", `{"metadata":{"name":"going"}}`, http.StatusCreated)
	// A finalizer on a configmap keeps the namespace's content, so it stays Terminating.
	e.mustDo(t, "POST", "/api/v1/namespaces/going/configmaps", `{"metadata":{"name":"held","finalizers":["test.kapi.dev/hold"]}}`, http.StatusCreated)
	resp := e.do(t, req{method: "DELETE", path: "/api/v1/namespaces/going"})
	if resp.code != http.StatusOK && resp.code != http.StatusAccepted {
		t.Fatalf("deleting the namespace: HTTP %d: %s", resp.code, resp.body)
	}
	var ns corev1.Namespace
	e.mustDo(t, "GET", "/api/v1/namespaces/going", "", http.StatusOK).into(t, &ns)
	if ns.DeletionTimestamp == nil {
		t.Fatalf("namespace is not being deleted: %+v", ns)
	}
	resp = e.do(t, req{method: "POST", path: "/api/v1/namespaces/going/configmaps", body: `{"metadata":{"name":"late"}}`})
	st := resp.status(t)
	if resp.code != http.StatusForbidden || st.Reason != metav1.StatusReasonForbidden || !strings.Contains(st.Message, "because it is being terminated") {
		t.Errorf("create in a terminating namespace: HTTP %d %+v, want 403 Forbidden 'because it is being terminated'", resp.code, st)
	}
	if got := e.do(t, req{method: "GET", path: "/api/v1/namespaces/going/configmaps/late"}); got.code != http.StatusNotFound {
		t.Errorf("the refused object exists: HTTP %d", got.code)
	}
}
