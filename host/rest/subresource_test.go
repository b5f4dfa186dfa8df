package rest

import (
	"net/http"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const deploymentPath = "/apis/apps/v1/namespaces/ns/deployments"

func createDeployment(t *testing.T, e *env, name string) {
	t.Helper()
	e.mustDo(t, "POST", deploymentPath, `{"metadata":{"name":"`+name+`"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}},
		"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}`, http.StatusCreated)
}

func TestScaleSubresource(t *testing.T) {
	e := newEnv(t)
	createDeployment(t, e, "d")
	var scale autoscalingv1.Scale
	e.mustDo(t, "GET", deploymentPath+"/d/scale", "", http.StatusOK).into(t, &scale)
	if scale.Kind != "Scale" || scale.APIVersion != "autoscaling/v1" || scale.Spec.Replicas != 1 {
		t.Fatalf("scale %+v", scale)
	}
	scale.Spec.Replicas = 3
	body, _ := jsonString(scale)
	e.mustDo(t, "PUT", deploymentPath+"/d/scale", body, http.StatusOK)
	resp := e.do(t, req{method: "PATCH", path: deploymentPath + "/d/scale", body: `{"spec":{"replicas":4}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	if resp.code != http.StatusOK {
		t.Fatalf("scale patch: HTTP %d: %s", resp.code, resp.body)
	}
	var d appsv1.Deployment
	e.mustDo(t, "GET", deploymentPath+"/d", "", http.StatusOK).into(t, &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 4 {
		t.Errorf("replicas %v, want 4", d.Spec.Replicas)
	}
	resp = e.do(t, req{method: "DELETE", path: deploymentPath + "/d/scale"})
	if st := resp.status(t); resp.code != http.StatusMethodNotAllowed || st.Reason != metav1.StatusReasonMethodNotAllowed {
		t.Errorf("delete of scale: HTTP %d %+v, want 405", resp.code, st)
	}
}

func TestBindingSubresource(t *testing.T) {
	e := newEnv(t)
	createPods(t, e, "p")
	e.mustDo(t, "POST", "/api/v1/namespaces/ns/pods/p/binding",
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"node-1"}}`, http.StatusCreated)
	var pod corev1.Pod
	e.mustDo(t, "GET", "/api/v1/namespaces/ns/pods/p", "", http.StatusOK).into(t, &pod)
	if pod.Spec.NodeName != "node-1" {
		t.Errorf("nodeName %q, want node-1", pod.Spec.NodeName)
	}
	resp := e.do(t, req{method: "POST", path: "/api/v1/namespaces/ns/pods/p/binding",
		body: `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"other"},"target":{"kind":"Node","name":"node-1"}}`})
	if resp.code != http.StatusBadRequest {
		t.Errorf("binding named for another pod: HTTP %d: %s", resp.code, resp.body)
	}
}

func TestDeleteCollection(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "a")
	e.createConfigMap(t, "b")
	e.mustDo(t, "POST", cmPath, `{"metadata":{"name":"c","labels":{"a":"other"}}}`, http.StatusCreated)
	var deleted corev1.ConfigMapList
	e.mustDo(t, "DELETE", cmPath+"?labelSelector=a%3Db", "", http.StatusOK).into(t, &deleted)
	if deleted.Kind != "ConfigMapList" || len(deleted.Items) != 2 {
		t.Errorf("deletecollection answered %s with %d items, want the 2 deleted", deleted.Kind, len(deleted.Items))
	}
	var left corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath, "", http.StatusOK).into(t, &left)
	if len(left.Items) != 1 || left.Items[0].Name != "c" {
		t.Errorf("left %+v, want only c", left.Items)
	}
}

func TestDeleteWithFinalizerAnswersTheObject(t *testing.T) {
	e := newEnv(t)
	e.mustDo(t, "POST", cmPath, `{"metadata":{"name":"held","finalizers":["test.kapi.dev/hold"]}}`, http.StatusCreated)
	var cm corev1.ConfigMap
	e.mustDo(t, "DELETE", cmPath+"/held", "", http.StatusOK).into(t, &cm)
	if cm.Kind != "ConfigMap" || cm.DeletionTimestamp == nil {
		t.Errorf("delete answered %+v, want the object with a deletionTimestamp", cm)
	}
	// A cascading delete that does not finish at once is 202, as kube answers orphanDependents=false.
	e.mustDo(t, "POST", cmPath, `{"metadata":{"name":"held2","finalizers":["test.kapi.dev/hold"]}}`, http.StatusCreated)
	e.mustDo(t, "DELETE", cmPath+"/held2", `{"orphanDependents":false}`, http.StatusAccepted)
}
