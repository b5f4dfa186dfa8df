package generic

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
)

func TestStatusErrorMapsEveryStorageError(t *testing.T) {
	var cms *Store
	for _, res := range builtin.Resources() {
		if res.Plural == "configmaps" {
			cms = NewStore(res, nil, Deps{})
		}
	}
	tooLarge := storage.NewError(storage.ErrCodeTooLargeResourceVersion, "/configmaps/ns/a", "")
	tooLarge.ResourceVersion = 10
	cases := []struct {
		name    string
		err     error
		code    int32
		reason  metav1.StatusReason
		message string
	}{
		{"not found", storage.NewError(storage.ErrCodeKeyNotFound, "/configmaps/ns/a", ""), 404, metav1.StatusReasonNotFound, `configmaps "a" not found`},
		{"exists", storage.NewError(storage.ErrCodeKeyExists, "/configmaps/ns/a", ""), 409, metav1.StatusReasonAlreadyExists, `configmaps "a" already exists`},
		{"conflict", storage.NewError(storage.ErrCodeConflict, "/configmaps/ns/a", ""), 409, metav1.StatusReasonConflict,
			`Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again`},
		{"expired", storage.NewError(storage.ErrCodeResourceExpired, "/configmaps/", "too old resource version: 1 (5)"), 410, metav1.StatusReasonExpired, "too old resource version: 1 (5)"},
		{"too large", tooLarge, 504, metav1.StatusReasonTimeout, "Timeout: Too large resource version: 99, current: 10"},
		{"invalid continue", storage.NewError(storage.ErrCodeInvalidContinue, "/configmaps/", "continue key is not valid"), 400, metav1.StatusReasonBadRequest, "continue key is not valid"},
		{"unreachable", storage.NewError(storage.ErrCodeUnreachable, "/configmaps/", "etcd is down"), 503, metav1.StatusReasonServiceUnavailable, "etcd is down"},
		{"wrapped", errors.Join(errors.New("context"), storage.NewError(storage.ErrCodeKeyNotFound, "/configmaps/ns/a", "")), 404, metav1.StatusReasonNotFound, `configmaps "a" not found`},
		{"status errors pass", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "a", errors.New("no")), 403, metav1.StatusReasonForbidden, `configmaps "a" is forbidden: no`},
		{"anything else is internal", errors.New("boom"), 500, metav1.StatusReasonInternalError, "boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := wantStatus(t, cms.statusError(tc.err, "a", "99"), tc.code, tc.reason)
			if st.Message != tc.message && !(tc.reason == metav1.StatusReasonInternalError && st.Message == "Internal error occurred: "+tc.message) {
				t.Errorf("message %q, want %q", st.Message, tc.message)
			}
		})
	}
	st := statusOf(t, cms.statusError(tooLarge, "a", "99"))
	if st.Details == nil || st.Details.RetryAfterSeconds != 1 || len(st.Details.Causes) != 1 || st.Details.Causes[0].Type != metav1.CauseTypeResourceVersionTooLarge {
		t.Errorf("too large details %+v: want a retry and the ResourceVersionTooLarge cause", st.Details)
	}
}
