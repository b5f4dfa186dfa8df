package rest

import (
	"net/http"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (e *env) apply(t *testing.T, path, manager, body string, force bool) response {
	t.Helper()
	q := "?fieldManager=" + manager
	if force {
		q += "&force=true"
	}
	return e.do(t, req{method: "PATCH", path: path + q, body: body, headers: []string{"Content-Type: application/apply-patch+yaml"}})
}

func TestServerSideApply(t *testing.T) {
	e := newEnv(t)
	cfg := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"1\"\n  b: \"2\"\n"
	resp := e.apply(t, cmPath+"/app", "alice", cfg, false)
	if resp.code != http.StatusCreated {
		t.Fatalf("first apply: HTTP %d: %s", resp.code, resp.body)
	}
	var cm corev1.ConfigMap
	resp.into(t, &cm)
	if cm.Data["a"] != "1" || cm.Data["b"] != "2" || len(cm.ManagedFields) != 1 || cm.ManagedFields[0].Manager != "alice" ||
		cm.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("created %+v", cm)
	}

	// Dropping a field alice owns removes it; a field set by another client stays.
	e.do(t, req{method: "PATCH", path: cmPath + "/app", body: `{"data":{"other":"x"}}`, headers: []string{"Content-Type: application/merge-patch+json"}})
	resp = e.apply(t, cmPath+"/app", "alice", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"3\"\n", false)
	if resp.code != http.StatusOK {
		t.Fatalf("second apply: HTTP %d: %s", resp.code, resp.body)
	}
	cm = corev1.ConfigMap{}
	resp.into(t, &cm)
	if cm.Data["a"] != "3" || cm.Data["other"] != "x" {
		t.Errorf("data %v, want a=3 and other kept", cm.Data)
	}
	if _, ok := cm.Data["b"]; ok {
		t.Errorf("data %v still has b, which alice no longer applies", cm.Data)
	}

	// Another manager changing alice's field conflicts unless it forces.
	bob := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"bob\"\n"
	resp = e.apply(t, cmPath+"/app", "bob", bob, false)
	if st := resp.status(t); resp.code != http.StatusConflict || st.Reason != metav1.StatusReasonConflict || !strings.Contains(st.Message, "alice") {
		t.Errorf("conflicting apply: HTTP %d %+v, want 409 naming alice", resp.code, st)
	}
	if resp = e.apply(t, cmPath+"/app", "bob", bob, true); resp.code != http.StatusOK {
		t.Errorf("forced apply: HTTP %d: %s", resp.code, resp.body)
	}
	cm = corev1.ConfigMap{}
	e.mustDo(t, "GET", cmPath+"/app", "", http.StatusOK).into(t, &cm)
	if cm.Data["a"] != "bob" {
		t.Errorf("a=%q after the forced apply, want bob", cm.Data["a"])
	}

	// A dry-run apply of a new object stores nothing.
	if resp = e.apply(t, cmPath+"/dry", "alice", strings.Replace(cfg, "name: app", "name: dry", 1)+"", false); resp.code != http.StatusCreated {
		t.Fatalf("apply: HTTP %d: %s", resp.code, resp.body)
	}
	resp = e.do(t, req{method: "PATCH", path: cmPath + "/drier?fieldManager=a&dryRun=All", body: strings.Replace(cfg, "name: app", "name: drier", 1),
		headers: []string{"Content-Type: application/apply-patch+yaml"}})
	if resp.code != http.StatusCreated || e.stored(t, "drier") != "" {
		t.Errorf("dry-run apply: HTTP %d, stored: %v", resp.code, e.stored(t, "drier") != "")
	}
}

// TestServerSideApplyMergesContainersByName checks that two managers can each own a container
// of a deployment: lists with a merge key are associative.
func TestServerSideApplyMergesContainersByName(t *testing.T) {
	e := newEnv(t)
	dep := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector:
    matchLabels: {app: d}
  template:
    metadata:
      labels: {app: d}
    spec:
      containers:
      - name: %s
        image: %s
`
	path := deploymentPath + "/d"
	if resp := e.apply(t, path, "one", strings.Replace(strings.Replace(dep, "%s", "a", 1), "%s", "img-a", 1), false); resp.code != http.StatusCreated {
		t.Fatalf("apply one: HTTP %d: %s", resp.code, resp.body)
	}
	resp := e.apply(t, path, "two", strings.Replace(strings.Replace(dep, "%s", "b", 1), "%s", "img-b", 1), false)
	if resp.code != http.StatusOK {
		t.Fatalf("apply two: HTTP %d: %s", resp.code, resp.body)
	}
	var d appsv1.Deployment
	resp.into(t, &d)
	var names []string
	for _, c := range d.Spec.Template.Spec.Containers {
		names = append(names, c.Name+"="+c.Image)
	}
	if strings.Join(names, ",") != "a=img-a,b=img-b" {
		t.Errorf("containers %v, want both managers' containers", names)
	}
}

// TestWritesRecordManagedFields checks that ordinary writes record their manager, so that an
// apply conflicts with a field another client changed, as in kube.
func TestWritesRecordManagedFields(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, req{method: "POST", path: cmPath, body: `{"metadata":{"name":"cm"},"data":{"k":"v"}}`, headers: []string{"User-Agent: kubectl/v1.35.0 (linux/amd64)"}})
	var cm corev1.ConfigMap
	resp.into(t, &cm)
	if resp.code != http.StatusCreated || len(cm.ManagedFields) != 1 || cm.ManagedFields[0].Manager != "kubectl" ||
		cm.ManagedFields[0].Operation != metav1.ManagedFieldsOperationUpdate {
		t.Fatalf("create: HTTP %d managedFields %+v, want one Update by kubectl", resp.code, cm.ManagedFields)
	}
	resp = e.do(t, req{method: "PATCH", path: cmPath + "/cm?fieldManager=editor", body: `{"data":{"k":"edited"}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	if resp.code != http.StatusOK {
		t.Fatalf("patch: HTTP %d: %s", resp.code, resp.body)
	}
	resp = e.apply(t, cmPath+"/cm", "applier", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: applied\n", false)
	if st := resp.status(t); resp.code != http.StatusConflict || !strings.Contains(st.Message, "editor") {
		t.Errorf("apply over an edited field: HTTP %d %q, want 409 naming editor", resp.code, st.Message)
	}
	if got := managerName("", "weird\x01agent/1.0"); got != "weirdagent" {
		t.Errorf("managerName dropped nothing: %q", got)
	}
}
