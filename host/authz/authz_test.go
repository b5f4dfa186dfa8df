package authz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
)

type answer struct {
	st  abi.SubjectAccessReviewStatus
	err error
}

func (a answer) Authorize(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return a.st, a.err
}

func TestUnion(t *testing.T) {
	noOpinion := answer{st: abi.SubjectAccessReviewStatus{Reason: "no rule"}}
	cases := []struct {
		name          string
		groups        []string
		members       []answer
		allowed, deny bool
		reason        string
		errHas        string
	}{
		{"empty union has no opinion", nil, nil, false, false, "", ""},
		{"masters first", []string{"system:masters"}, []answer{{st: abi.SubjectAccessReviewStatus{Denied: true}}}, true, false, "", ""},
		{"first decision wins", nil, []answer{noOpinion, {st: abi.SubjectAccessReviewStatus{Allowed: true, Reason: "ok"}}, {st: abi.SubjectAccessReviewStatus{Denied: true}}}, true, false, "ok", ""},
		{"deny", nil, []answer{{st: abi.SubjectAccessReviewStatus{Denied: true, Reason: "no"}}}, false, true, "no", ""},
		{"reasons joined", nil, []answer{noOpinion, {st: abi.SubjectAccessReviewStatus{Reason: "nope"}}}, false, false, "no rule\nnope", ""},
		{"errors kept, union goes on", nil, []answer{{err: errors.New("down")}, {st: abi.SubjectAccessReviewStatus{EvaluationError: "bad policy"}}}, false, false, "", "down"},
		{"evaluation error reported", nil, []answer{{st: abi.SubjectAccessReviewStatus{EvaluationError: "bad policy"}}}, false, false, "", "bad policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var members []Named
			for i, m := range tc.members {
				members = append(members, Named{Name: string(rune('a' + i)), Authorizer: m})
			}
			st, err := NewUnion(members...).Authorize(context.Background(), abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "u", Groups: tc.groups}))
			if st.Allowed != tc.allowed || st.Denied != tc.deny || st.Reason != tc.reason {
				t.Fatalf("status %+v", st)
			}
			if (tc.errHas == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errHas)) {
				t.Fatalf("err %v, want containing %q", err, tc.errHas)
			}
		})
	}
}

func TestReviewFor(t *testing.T) {
	user := &abi.UserInfo{Username: "u", UID: "1", Groups: []string{"g"}, Extra: map[string][]string{"k": {"v"}}}
	rv := ReviewFor(&request.Info{IsResourceRequest: true, Verb: "update", APIGroup: "apps", APIVersion: "v1", Namespace: "ns",
		Resource: "deployments", Subresource: "scale", Name: "web"}, user)
	ra := rv.Spec.ResourceAttributes
	if rv.Kind != "SubjectAccessReview" || rv.Spec.User != "u" || rv.Spec.UID != "1" || rv.Spec.Extra["k"][0] != "v" || rv.Spec.NonResourceAttributes != nil ||
		ra == nil || ra.Verb != "update" || ra.Group != "apps" || ra.Version != "v1" || ra.Namespace != "ns" || ra.Resource != "deployments" || ra.Subresource != "scale" || ra.Name != "web" {
		t.Fatalf("resource review %+v %+v", rv.Spec, ra)
	}
	rv = ReviewFor(&request.Info{Verb: "get", Path: "/healthz"}, nil)
	if rv.Spec.ResourceAttributes != nil || rv.Spec.NonResourceAttributes == nil || *rv.Spec.NonResourceAttributes != (abi.NonResourceAttributes{Path: "/healthz", Verb: "get"}) {
		t.Fatalf("non-resource review %+v", rv.Spec)
	}
}
