package rest

import (
	"net/http"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestPatchTypes(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "cm")
	cases := []struct {
		name        string
		contentType string
		patch       string
		want        map[string]string
	}{
		{"JSON patch", "application/json-patch+json", `[{"op":"add","path":"/data/j","value":"1"},{"op":"remove","path":"/data/k"}]`, map[string]string{"j": "1"}},
		{"merge patch", "application/merge-patch+json", `{"data":{"m":"2","j":null}}`, map[string]string{"m": "2"}},
		{"strategic merge patch", "application/strategic-merge-patch+json", `{"data":{"s":"3"}}`, map[string]string{"m": "2", "s": "3"}},
		{"JSON patch dropping kind", "application/json-patch+json", `[{"op":"remove","path":"/kind"},{"op":"remove","path":"/apiVersion"}]`, map[string]string{"m": "2", "s": "3"}},
		{"content type with charset", "application/merge-patch+json; charset=utf-8", `{"data":{"c":"4"}}`, map[string]string{"m": "2", "s": "3", "c": "4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, req{method: "PATCH", path: cmPath + "/cm", body: tc.patch, headers: []string{"Content-Type: " + tc.contentType}})
			if resp.code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", resp.code, resp.body)
			}
			var cm corev1.ConfigMap
			resp.into(t, &cm)
			if len(cm.Data) != len(tc.want) {
				t.Errorf("data %v, want %v", cm.Data, tc.want)
			}
			for k, v := range tc.want {
				if cm.Data[k] != v {
					t.Errorf("data %v, want %v", cm.Data, tc.want)
				}
			}
			var stored corev1.ConfigMap
			e.mustDo(t, "GET", cmPath+"/cm", "", http.StatusOK).into(t, &stored)
			if stored.ResourceVersion != cm.ResourceVersion {
				t.Errorf("stored resourceVersion %s, answered %s", stored.ResourceVersion, cm.ResourceVersion)
			}
		})
	}
}

// TestStrategicMergePatchMergesLists checks that a strategic patch merges containers by name, as
// kubectl apply relies on, where a merge patch would replace the list.
func TestStrategicMergePatchMergesLists(t *testing.T) {
	e := newEnv(t)
	e.mustDo(t, "POST", "/apis/apps/v1/namespaces/ns/deployments", `{"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"d"}},
		"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"a","image":"one"},{"name":"b","image":"two"}]}}}}`, http.StatusCreated)
	resp := e.do(t, req{method: "PATCH", path: "/apis/apps/v1/namespaces/ns/deployments/d",
		body:    `{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"three"}]}}}}`,
		headers: []string{"Content-Type: application/strategic-merge-patch+json"}})
	if resp.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.code, resp.body)
	}
	var d appsv1.Deployment
	resp.into(t, &d)
	var images []string
	for _, c := range d.Spec.Template.Spec.Containers {
		images = append(images, c.Name+"="+c.Image)
	}
	if strings.Join(images, ",") != "a=one,b=three" {
		t.Errorf("containers %v, want a=one,b=three", images)
	}
	if d.Generation != 2 {
		t.Errorf("generation %d, want 2 after a spec change", d.Generation)
	}
}

func TestPatchUnknownFieldsFollowFieldValidation(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "cm")
	resp := e.do(t, req{method: "PATCH", path: cmPath + "/cm", body: `{"spec":{"foo":1}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	if resp.code != http.StatusOK || resp.header.Get("Warning") != `299 - "unknown field \"spec\""` {
		t.Errorf("warn: HTTP %d Warning %q", resp.code, resp.header.Get("Warning"))
	}
	resp = e.do(t, req{method: "PATCH", path: cmPath + "/cm?fieldValidation=Strict", body: `{"spec":{"foo":1}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	if resp.code != http.StatusBadRequest {
		t.Errorf("strict: HTTP %d, want 400: %s", resp.code, resp.body)
	}
}
