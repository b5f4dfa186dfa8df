// Package authz decides whether a user may do what a request asks: it builds the ABI's
// SubjectAccessReview from the request's Info and user, and runs the configured authorizers as one
// union, as kube-apiserver's authorizer union does, with the system:masters group allowed first.
//
// authz imports abi and host/request and nothing else of ours; the authorizers themselves are
// plugins (built-in or loaded) behind abi.Authorizer.
package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
)

// PrivilegedGroup is allowed everything before any authorizer is asked, as in kube.
const PrivilegedGroup = "system:masters"

// Named is an authorizer with the name its errors carry.
type Named struct {
	Name       string
	Authorizer abi.Authorizer
}

// Union asks authorizers in order until one allows or denies.
type Union struct {
	authorizers []Named
}

// NewUnion returns a union of authorizers, asked in order after the privileged-group check.
func NewUnion(authorizers ...Named) *Union {
	return &Union{authorizers: authorizers}
}

var _ abi.Authorizer = (*Union)(nil)

// Authorize answers as kube's union: members of system:masters are allowed; otherwise the first
// authorizer that allows or denies decides, with its reason; when all have no opinion, the answer
// is no opinion with every reason given, one a line. An error from one authorizer does not stop the
// others, but is returned with the final answer (the caller decides what an error with a denial
// means: the authorization filter turns it into a 500).
func (u *Union) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	if slices.Contains(review.Spec.Groups, PrivilegedGroup) {
		return abi.SubjectAccessReviewStatus{Allowed: true}, nil
	}
	var (
		errs    []error
		reasons []string
	)
	for _, a := range u.authorizers {
		st, err := a.Authorizer.Authorize(ctx, review)
		if err == nil && st.EvaluationError != "" {
			err = errors.New(st.EvaluationError)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", a.Name, err)
			errs = append(errs, err)
		}
		if st.Reason != "" {
			reasons = append(reasons, st.Reason)
		}
		if st.Allowed || st.Denied {
			// Allow wins over a stray Denied flag, as a decision is one of the two.
			return abi.SubjectAccessReviewStatus{Allowed: st.Allowed, Denied: !st.Allowed, Reason: st.Reason}, err
		}
	}
	return abi.SubjectAccessReviewStatus{Reason: strings.Join(reasons, "\n")}, errors.Join(errs...)
}

// ReviewFor builds the SubjectAccessReview for a request: resource attributes for resource
// requests, the path and verb otherwise.
func ReviewFor(info *request.Info, user *abi.UserInfo) *abi.SubjectAccessReview {
	spec := abi.SubjectAccessReviewSpec{}
	if user != nil {
		spec.User, spec.Groups, spec.Extra, spec.UID = user.Username, user.Groups, user.Extra, user.UID
	}
	if info.IsResourceRequest {
		spec.ResourceAttributes = &abi.ResourceAttributes{
			Namespace: info.Namespace, Verb: info.Verb, Group: info.APIGroup, Version: info.APIVersion,
			Resource: info.Resource, Subresource: info.Subresource, Name: info.Name,
		}
	} else {
		spec.NonResourceAttributes = &abi.NonResourceAttributes{Path: info.Path, Verb: info.Verb}
	}
	return abi.NewSubjectAccessReview(spec)
}
