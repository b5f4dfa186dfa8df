package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCompactedRevisionsAreGone checks the 410 answers: a continue token and a watch from a
// revision etcd has compacted away.
func TestCompactedRevisionsAreGone(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "a")
	e.createConfigMap(t, "b")
	var page corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath+"?limit=1", "", http.StatusOK).into(t, &page)
	if page.Continue == "" {
		t.Fatal("no continue token")
	}
	// Compact past the first revision after the page, so that watching from the page's
	// revision needs a compacted one.
	e.createConfigMap(t, "c")
	var last corev1.ConfigMap
	e.createConfigMap(t, "d").into(t, &last)
	rev, err := strconv.ParseInt(last.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := etcdClient.Compact(context.Background(), rev); err != nil {
		t.Fatal(err)
	}

	resp := e.do(t, req{method: "GET", path: cmPath + "?limit=1&continue=" + page.Continue})
	if st := resp.status(t); resp.code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
		t.Errorf("continue after compaction: HTTP %d %+v, want 410 Expired", resp.code, st)
	}

	// A watch from the compacted revision: kube answers 410 before the stream, or an ERROR event
	// carrying a 410 Status; client-go relists on either.
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	r, err := http.NewRequest("GET", srv.URL+cmPath+"?watch=true&resourceVersion="+page.ResourceVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	wresp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer wresp.Body.Close()
	var st metav1.Status
	switch wresp.StatusCode {
	case http.StatusGone:
		if err := json.NewDecoder(wresp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
	case http.StatusOK:
		var ev struct {
			Type   string        `json:"type"`
			Object metav1.Status `json:"object"`
		}
		if err := json.NewDecoder(wresp.Body).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != "ERROR" {
			t.Fatalf("first event %s, want ERROR", ev.Type)
		}
		st = ev.Object
	default:
		t.Fatalf("watch from a compacted revision: HTTP %d", wresp.StatusCode)
	}
	if st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired || st.Kind != "Status" {
		t.Errorf("watch from a compacted revision: %+v, want a 410 Expired Status", st)
	}
}
