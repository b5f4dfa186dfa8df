package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
)

// labeller adds the label admitted=yes to every object it is shown, and warns.
type labeller struct {
	mu         sync.Mutex
	operations []string
}

func (l *labeller) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	l.mu.Lock()
	l.operations = append(l.operations, r.Request.Operation)
	l.mu.Unlock()
	if r.Request.Object == nil {
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
	}
	var obj metav1.PartialObjectMetadata
	if err := json.Unmarshal(r.Request.Object, &obj); err != nil {
		return abi.AdmissionResponse{}, err
	}
	patch := `[{"op":"add","path":"/metadata/labels/admitted","value":"yes"}]`
	if obj.Labels == nil {
		patch = `[{"op":"add","path":"/metadata/labels","value":{"admitted":"yes"}}]`
	}
	pt := abi.PatchTypeJSONPatch
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, Patch: []byte(patch), PatchType: &pt, Warnings: []string{"labelled by test"}}, nil
}

// guard refuses objects whose name starts with "deny", and deleting "protected".
type guard struct{}

func (guard) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if strings.HasPrefix(r.Request.Name, "deny") || (r.Request.Operation == admission.Delete && r.Request.Name == "protected") {
		return abi.AdmissionResponse{UID: r.Request.UID, Result: &abi.Status{Message: "names like this are not allowed"}}, nil
	}
	if r.Request.Object != nil {
		var obj metav1.PartialObjectMetadata
		if err := json.Unmarshal(r.Request.Object, &obj); err != nil || obj.Labels["admitted"] != "yes" {
			return abi.AdmissionResponse{UID: r.Request.UID, Result: &abi.Status{Message: "validation ran before mutation"}}, nil
		}
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func TestAdmissionThroughTheHandler(t *testing.T) {
	l := &labeller{}
	chain := admission.NewNamedChain([]admission.Mutating{{Name: "labeller", Plugin: l}}, []admission.Validating{{Name: "guard", Plugin: guard{}}})
	e := newEnvWith(t, chain, Options{})

	created := e.createConfigMap(t, "ok")
	var cm corev1.ConfigMap
	created.into(t, &cm)
	if cm.Labels["admitted"] != "yes" || cm.Labels["a"] != "b" {
		t.Errorf("created labels %v, want the mutation applied", cm.Labels)
	}
	if w := created.header.Values("Warning"); len(w) != 1 || w[0] != `299 - "labelled by test"` {
		t.Errorf("warnings %q, want one from the plugin", w)
	}

	resp := e.do(t, req{method: "POST", path: cmPath, body: `{"metadata":{"name":"deny-me"}}`})
	st := resp.status(t)
	if resp.code != http.StatusForbidden || st.Reason != metav1.StatusReasonForbidden ||
		st.Message != `admission webhook "guard" denied the request: names like this are not allowed` {
		t.Errorf("denied create: HTTP %d %+v", resp.code, st)
	}
	if e.stored(t, "deny-me") != "" {
		t.Error("a denied object was stored")
	}

	resp = e.do(t, req{method: "PATCH", path: cmPath + "/ok", body: `{"metadata":{"labels":{"admitted":"no"}}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}})
	resp.into(t, &cm)
	if resp.code != http.StatusOK || cm.Labels["admitted"] != "yes" {
		t.Errorf("patch: HTTP %d labels %v, want mutation applied after the patch", resp.code, cm.Labels)
	}

	e.createConfigMap(t, "protected")
	resp = e.do(t, req{method: "DELETE", path: cmPath + "/protected"})
	if resp.code != http.StatusForbidden || e.stored(t, "protected") == "" {
		t.Errorf("denied delete: HTTP %d, object still there: %v", resp.code, e.stored(t, "protected") != "")
	}
	// A deletecollection shows admission each object by name: "ok" goes, "protected" stays.
	resp = e.do(t, req{method: "DELETE", path: cmPath + "?labelSelector=a%3Db"})
	if resp.code != http.StatusForbidden || e.stored(t, "protected") == "" {
		t.Errorf("denied deletecollection: HTTP %d, object still there: %v", resp.code, e.stored(t, "protected") != "")
	}
	if e.stored(t, "ok") != "" {
		t.Error("deletecollection kept an object admission allowed it to delete")
	}

	l.mu.Lock()
	ops := strings.Join(l.operations, ",")
	l.mu.Unlock()
	if !strings.Contains(ops, "CREATE") || !strings.Contains(ops, "UPDATE") || !strings.Contains(ops, "DELETE") {
		t.Errorf("mutating plugin saw %s, want creates, updates and deletes", ops)
	}
}
