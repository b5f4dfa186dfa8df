package rest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCreateGetUpdateDelete(t *testing.T) {
	e := newEnv(t)
	created := e.createConfigMap(t, "one")
	if ct := created.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var cm corev1.ConfigMap
	created.into(t, &cm)
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.UID == "" || cm.ResourceVersion == "" || cm.Namespace != "ns" {
		t.Fatalf("created object lacks system fields or type: %+v", cm)
	}

	var got corev1.ConfigMap
	e.mustDo(t, "GET", cmPath+"/one", "", http.StatusOK).into(t, &got)
	if got.ResourceVersion != cm.ResourceVersion || got.Data["k"] != "v" || got.Kind != "ConfigMap" {
		t.Errorf("get answered %+v, want the created object", got)
	}

	got.Data["k"] = "changed"
	body, _ := jsonString(got)
	var updated corev1.ConfigMap
	e.mustDo(t, "PUT", cmPath+"/one", body, http.StatusOK).into(t, &updated)
	if updated.Data["k"] != "changed" || updated.ResourceVersion == cm.ResourceVersion {
		t.Errorf("update answered %+v", updated)
	}

	del := e.mustDo(t, "DELETE", cmPath+"/one", "", http.StatusOK).status(t)
	if del.Status != metav1.StatusSuccess || del.Details == nil || del.Details.Name != "one" || del.Details.Kind != "configmaps" || del.Details.UID != cm.UID {
		t.Errorf("delete answered %+v, want a Success Status naming the configmap", del)
	}
	if st := e.mustDo(t, "GET", cmPath+"/one", "", http.StatusNotFound).status(t); st.Reason != metav1.StatusReasonNotFound {
		t.Errorf("get after delete: %+v", st)
	}
}

func TestListSelectsAndPages(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.createConfigMap(t, n)
	}
	e.mustDo(t, "POST", cmPath, `{"metadata":{"name":"other","labels":{"a":"x"}}}`, http.StatusCreated)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"everything", "", []string{"a", "b", "c", "other"}},
		{"label selector", "?labelSelector=a%3Db", []string{"a", "b", "c"}},
		{"field selector", "?fieldSelector=metadata.name%3Dother", []string{"other"}},
		{"first page", "?limit=2", []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var list corev1.ConfigMapList
			e.mustDo(t, "GET", cmPath+tc.query, "", http.StatusOK).into(t, &list)
			if list.Kind != "ConfigMapList" || list.APIVersion != "v1" || list.ResourceVersion == "" {
				t.Errorf("list type meta %q %q rv %q", list.Kind, list.APIVersion, list.ResourceVersion)
			}
			var names []string
			for _, cm := range list.Items {
				names = append(names, cm.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("listed %v, want %v", names, tc.want)
			}
		})
	}
	// The continue token of the first page leads to the rest.
	var page corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath+"?limit=2", "", http.StatusOK).into(t, &page)
	if page.Continue == "" {
		t.Fatal("first page has no continue token")
	}
	var next corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath+"?limit=2&continue="+page.Continue, "", http.StatusOK).into(t, &next)
	if len(next.Items) != 2 || next.Items[0].Name != "c" {
		t.Errorf("second page %+v", next.Items)
	}
	// An empty list has an empty items array, as kube's.
	if body := string(e.mustDo(t, "GET", cmPath+"?labelSelector=none", "", http.StatusOK).body); !strings.Contains(body, `"items":[]`) {
		t.Errorf("empty list %s, want \"items\":[]", body)
	}
	// Lists across namespaces work for namespaced resources.
	var all corev1.ConfigMapList
	e.mustDo(t, "GET", "/api/v1/configmaps", "", http.StatusOK).into(t, &all)
	if len(all.Items) != 4 {
		t.Errorf("cluster-wide list has %d items, want 4", len(all.Items))
	}
}

func TestUpdateCreatesOnlyWhereKubeAllows(t *testing.T) {
	e := newEnv(t)
	// Endpoints may be created by PUT (kube's AllowCreateOnUpdate); configmaps may not.
	e.mustDo(t, "PUT", "/api/v1/namespaces/ns/endpoints/ep", `{"metadata":{"name":"ep"}}`, http.StatusCreated)
	st := e.mustDo(t, "PUT", cmPath+"/missing", `{"metadata":{"name":"missing"}}`, http.StatusNotFound).status(t)
	if st.Reason != metav1.StatusReasonNotFound {
		t.Errorf("PUT of a missing configmap: %+v", st)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "keep")
	before := e.stored(t, "keep")
	cases := []struct {
		name         string
		method, path string
		contentType  string
		body         string
		code         int
	}{
		{"create", "POST", cmPath + "?dryRun=All", "", `{"metadata":{"name":"new"}}`, http.StatusCreated},
		{"update", "PUT", cmPath + "/keep?dryRun=All", "", `{"metadata":{"name":"keep"},"data":{"k":"dry"}}`, http.StatusOK},
		{"patch", "PATCH", cmPath + "/keep?dryRun=All", "application/merge-patch+json", `{"data":{"k":"dry"}}`, http.StatusOK},
		{"delete", "DELETE", cmPath + "/keep?dryRun=All", "", "", http.StatusOK},
		{"delete with body", "DELETE", cmPath + "/keep", "", `{"dryRun":["All"]}`, http.StatusOK},
		{"deletecollection", "DELETE", cmPath + "?dryRun=All", "", "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req{method: tc.method, path: tc.path, body: tc.body}
			if tc.contentType != "" {
				r.headers = []string{"Content-Type: " + tc.contentType}
			}
			resp := e.do(t, r)
			if resp.code != tc.code {
				t.Fatalf("HTTP %d, want %d: %s", resp.code, tc.code, resp.body)
			}
			if got := e.stored(t, "keep"); got != before {
				t.Errorf("dry run changed the stored object:\n%s\nwas\n%s", got, before)
			}
			if got := e.stored(t, "new"); got != "" {
				t.Errorf("dry run stored a new object: %s", got)
			}
		})
	}
}

func TestFieldValidation(t *testing.T) {
	e := newEnv(t)
	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"k":"v"},"spec":{"foo":1}}`
	cases := []struct {
		name      string
		directive string
		code      int
		warning   string
	}{
		{"default warns", "", http.StatusCreated, `299 - "unknown field \"spec\""`},
		{"warn", "Warn", http.StatusCreated, `299 - "unknown field \"spec\""`},
		{"ignore", "Ignore", http.StatusCreated, ""},
		{"strict", "Strict", http.StatusBadRequest, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "fv" + string(rune('a'+i))
			path := cmPath
			if tc.directive != "" {
				path += "?fieldValidation=" + tc.directive
			}
			resp := e.do(t, req{method: "POST", path: path, body: strings.Replace(body, "%s", name, 1)})
			if resp.code != tc.code {
				t.Fatalf("HTTP %d, want %d: %s", resp.code, tc.code, resp.body)
			}
			if got := resp.header.Get("Warning"); got != tc.warning {
				t.Errorf("Warning %q, want %q", got, tc.warning)
			}
			if tc.code == http.StatusBadRequest {
				st := resp.status(t)
				want := `ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"`
				if st.Reason != metav1.StatusReasonBadRequest || st.Message != want {
					t.Errorf("Status %q %q, want BadRequest %q", st.Reason, st.Message, want)
				}
				if e.stored(t, name) != "" {
					t.Error("a strictly refused object was stored")
				}
			}
		})
	}
	// Duplicate fields are strict errors too.
	resp := e.do(t, req{method: "POST", path: cmPath + "?fieldValidation=Strict", body: `{"metadata":{"name":"dup","name":"dup"}}`})
	if st := resp.status(t); resp.code != http.StatusBadRequest || !strings.Contains(st.Message, `duplicate field "metadata.name"`) {
		t.Errorf("duplicate field: HTTP %d %q", resp.code, st.Message)
	}
}

func TestStatusSubresourceWritesOnlyStatus(t *testing.T) {
	e := newEnv(t)
	podPath := "/api/v1/namespaces/ns/pods/p"
	e.mustDo(t, "POST", "/api/v1/namespaces/ns/pods",
		`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Failed"}}`, http.StatusCreated)
	var pod corev1.Pod
	resp := e.do(t, req{method: "PATCH", path: podPath + "/status", body: `{"status":{"phase":"Running"},"spec":{"activeDeadlineSeconds":5}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	if resp.code != http.StatusOK {
		t.Fatalf("status patch: HTTP %d: %s", resp.code, resp.body)
	}
	resp.into(t, &pod)
	if pod.Status.Phase != corev1.PodRunning || pod.Spec.ActiveDeadlineSeconds != nil {
		t.Errorf("status patch wrote phase %q and activeDeadlineSeconds %v; want status only", pod.Status.Phase, pod.Spec.ActiveDeadlineSeconds)
	}
	var got corev1.Pod
	e.mustDo(t, "GET", podPath+"/status", "", http.StatusOK).into(t, &got)
	if got.Status.Phase != corev1.PodRunning || got.Kind != "Pod" {
		t.Errorf("GET status answered %q %q", got.Kind, got.Status.Phase)
	}
	// The main resource does not write status.
	resp = e.do(t, req{method: "PATCH", path: podPath, body: `{"status":{"phase":"Succeeded"}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	resp.into(t, &pod)
	if resp.code != http.StatusOK || pod.Status.Phase != corev1.PodRunning {
		t.Errorf("main resource patch: HTTP %d, phase %q; want 200 and status kept", resp.code, pod.Status.Phase)
	}
}

func jsonString(v interface{}) (string, error) {
	data, err := json.Marshal(v)
	return string(data), err
}
