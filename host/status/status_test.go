package status

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestWrite(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		code       int
		reason     metav1.StatusReason
		message    string
		retryAfter string
	}{
		{"not found", apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x"), 404, metav1.StatusReasonNotFound, `configmaps "x" not found`, ""},
		{"too many", apierrors.NewTooManyRequests("Too many requests, please try again later.", 1), 429, metav1.StatusReasonTooManyRequests, "Too many requests, please try again later.", "1"},
		{"plain error", errors.New("boom"), 500, metav1.StatusReasonUnknown, "boom", ""},
		{"wrapped status", errors.Join(errors.New("ctx"), apierrors.NewConflict(schema.GroupResource{Resource: "pods"}, "p", errors.New("changed"))), 409, metav1.StatusReasonConflict, `Operation cannot be fulfilled on pods "p": changed`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, httptest.NewRequest(http.MethodGet, "/x", nil), tc.err)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			var st metav1.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatal(err)
			}
			if st.Kind != "Status" || st.APIVersion != "v1" || st.Status != metav1.StatusFailure {
				t.Errorf("type/status wrong: %+v", st)
			}
			if st.Reason != tc.reason || st.Message != tc.message || int(st.Code) != tc.code {
				t.Errorf("got reason %q message %q code %d", st.Reason, st.Message, st.Code)
			}
		})
	}
}

func TestWriteBodyShape(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, nil, apierrors.NewUnauthorized("Unauthorized"))
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}` + "\n"
	if rec.Body.String() != want {
		t.Fatalf("body\n%s\nwant\n%s", rec.Body.String(), want)
	}
}
