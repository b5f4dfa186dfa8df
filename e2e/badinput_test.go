package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

// rawRequest sends a request with client-go's REST client and returns the HTTP code and the
// decoded Status body (zero when the body is not a Status).
func rawRequest(t *testing.T, method, path, contentType string, body []byte) (int, metav1.Status) {
	t.Helper()
	client, err := rest.HTTPClientFor(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, strings.TrimRight(restConfig.Host, "/")+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st metav1.Status
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return resp.StatusCode, st
}

func TestBadInputIsRejectedAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	cms := clientset.CoreV1().ConfigMaps(ns)
	original, err := cms.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "keep", Labels: map[string]string{"a": "b"}},
		Data:       map[string]string{"k": "v"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cmPath := "/api/v1/namespaces/" + ns + "/configmaps"
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"x":"` + strings.Repeat("a", 3*1024*1024+10) + `"}}`

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		code        int
		reason      metav1.StatusReason
	}{
		{"malformed JSON", "POST", cmPath, "application/json", `{"apiVersion":"v1","kind":"ConfigMap",`, 400, metav1.StatusReasonBadRequest},
		{"malformed YAML", "POST", cmPath, "application/yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n", 400, metav1.StatusReasonBadRequest},
		{"wrong kind", "POST", cmPath, "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}`, 400, metav1.StatusReasonBadRequest},
		{"wrong apiVersion", "POST", cmPath, "application/json", `{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 400, metav1.StatusReasonBadRequest},
		{"name differs from URL", "PUT", cmPath + "/keep", "application/json",
			fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other","resourceVersion":%q},"data":{"k":"changed"}}`, original.ResourceVersion),
			400, metav1.StatusReasonBadRequest},
		{"stale resourceVersion", "PUT", cmPath + "/keep", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keep","resourceVersion":"1"},"data":{"k":"changed"}}`,
			409, metav1.StatusReasonConflict},
		{"invalid name", "POST", cmPath, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}`, 422, metav1.StatusReasonInvalid},
		{"already exists", "POST", cmPath, "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keep"}}`, 409, metav1.StatusReasonAlreadyExists},
		{"body over 3MiB", "POST", cmPath, "application/json", big, 413, metav1.StatusReasonRequestEntityTooLarge},
		{"bad label selector", "GET", cmPath + "?labelSelector=a%3D%3D%3Db", "", "", 400, metav1.StatusReasonBadRequest},
		{"unsupported field selector", "GET", cmPath + "?fieldSelector=data.k%3Dv", "", "", 400, metav1.StatusReasonBadRequest},
		{"malformed JSON patch", "PATCH", cmPath + "/keep", "application/json-patch+json", `{"op":"add"}`, 400, metav1.StatusReasonBadRequest},
		{"JSON patch on a missing path", "PATCH", cmPath + "/keep", "application/json-patch+json", `[{"op":"replace","path":"/data/nothere/deeper","value":"x"}]`, 422, metav1.StatusReasonInvalid},
		{"malformed merge patch", "PATCH", cmPath + "/keep", "application/merge-patch+json", `{"data":`, 400, metav1.StatusReasonBadRequest},
		{"patch making the object invalid", "PATCH", cmPath + "/keep", "application/merge-patch+json", `{"metadata":{"labels":{"bad key!":"x"}}}`, 422, metav1.StatusReasonInvalid},
		{"unknown resource", "GET", "/api/v1/namespaces/" + ns + "/widgets", "", "", 404, metav1.StatusReasonNotFound},
		{"unknown group", "GET", "/apis/nothere.example.com/v1/widgets", "", "", 404, metav1.StatusReasonNotFound},
		{"bad continue token", "GET", cmPath + "?limit=1&continue=not-a-token", "", "", 400, metav1.StatusReasonBadRequest},
		{"missing namespace", "POST", "/api/v1/namespaces/does-not-exist-e2e/configmaps", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 404, metav1.StatusReasonNotFound},
		{"get missing object", "GET", cmPath + "/nothere", "", "", 404, metav1.StatusReasonNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, st := rawRequest(t, tc.method, tc.path, tc.contentType, []byte(tc.body))
			if code != tc.code {
				t.Errorf("HTTP %d, want %d (status %+v)", code, tc.code, st)
			}
			if st.Kind != "Status" || st.Status != metav1.StatusFailure {
				t.Errorf("body is not a failure Status: %+v", st)
			}
			if st.Reason != tc.reason || int(st.Code) != tc.code {
				t.Errorf("Status reason %q code %d, want %q %d (message %q)", st.Reason, st.Code, tc.reason, tc.code, st.Message)
			}
			if st.Message == "" {
				t.Errorf("Status has no message")
			}
		})
	}
	after, err := cms.Get(ctx, "keep", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != original.ResourceVersion || after.Data["k"] != "v" || after.Labels["a"] != "b" {
		t.Errorf("bad requests changed the stored object: %+v", after)
	}
	list, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range list.Items {
		if cm.Name != "keep" && cm.Name != "kube-root-ca.crt" {
			t.Errorf("a rejected request stored %s", cm.Name)
		}
	}
}

func TestCreateInTerminatingNamespaceIsForbidden(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	// A finalizer on a configmap keeps the namespace Terminating while the test looks at it.
	if _, err := clientset.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"e2e.kapi.dev/hold"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := clientset.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace to be Terminating", func() (bool, error) {
		n, err := clientset.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return err == nil && n.Status.Phase == corev1.NamespaceTerminating, err
	})
	code, st := rawRequest(t, "POST", "/api/v1/namespaces/"+ns+"/configmaps", "application/json",
		[]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}}`))
	if code != 403 || st.Reason != metav1.StatusReasonForbidden {
		t.Errorf("create in a terminating namespace: HTTP %d reason %q, want 403 Forbidden", code, st.Reason)
	}
	if !strings.Contains(st.Message, "because it is being terminated") {
		t.Errorf("message %q does not say the namespace is being terminated", st.Message)
	}
	// Release the finalizer so the namespace can go. The namespace's cleanup is marking the
	// configmap for deletion meanwhile, so the update retries on conflict.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := clientset.CoreV1().ConfigMaps(ns).Get(ctx, "held", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cm.Finalizers = nil
		_, err = clientset.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace to go away", func() (bool, error) {
		_, err := clientset.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return err != nil, nil
	})
}
