package abi

import "context"

// Authorizer decides whether a user may do what a request asks. It receives an
// authorization.k8s.io/v1 SubjectAccessReview and answers with its status: Allowed=true allows,
// Denied=true denies, neither is "no opinion" and the union asks the next authorizer.
type Authorizer interface {
	Authorize(ctx context.Context, review *SubjectAccessReview) (SubjectAccessReviewStatus, error)
}

// SubjectAccessReview is authorization.k8s.io/v1 SubjectAccessReview on the wire.
type SubjectAccessReview struct {
	APIVersion string                    `json:"apiVersion"`
	Kind       string                    `json:"kind"`
	Spec       SubjectAccessReviewSpec   `json:"spec"`
	Status     SubjectAccessReviewStatus `json:"status"`
}

// SubjectAccessReviewSpec says who asks to do what. Exactly one of ResourceAttributes and
// NonResourceAttributes is set.
type SubjectAccessReviewSpec struct {
	ResourceAttributes    *ResourceAttributes    `json:"resourceAttributes,omitempty"`
	NonResourceAttributes *NonResourceAttributes `json:"nonResourceAttributes,omitempty"`
	User                  string                 `json:"user,omitempty"`
	Groups                []string               `json:"groups,omitempty"`
	Extra                 map[string][]string    `json:"extra,omitempty"`
	UID                   string                 `json:"uid,omitempty"`
}

// ResourceAttributes describe a request for a resource.
type ResourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

// NonResourceAttributes describe a request for a path that is not a resource.
type NonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

// SubjectAccessReviewStatus is the decision.
type SubjectAccessReviewStatus struct {
	Allowed         bool   `json:"allowed"`
	Denied          bool   `json:"denied,omitempty"`
	Reason          string `json:"reason,omitempty"`
	EvaluationError string `json:"evaluationError,omitempty"`
}

// NewSubjectAccessReview returns a review with apiVersion and kind set.
func NewSubjectAccessReview(spec SubjectAccessReviewSpec) *SubjectAccessReview {
	return &SubjectAccessReview{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview", Spec: spec}
}
