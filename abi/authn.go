package abi

import "context"

// Authenticator decides who made a request. It receives an authentication.k8s.io/v1 TokenReview
// whose spec carries the bearer token (if any) and kapi's request-level extensions (headers, the
// verified client certificate chain) and answers with the review's status.
//
// An authenticator that does not recognise the credentials answers Authenticated=false with no
// Error; the union then asks the next one. An Error (or a non-nil Go error) means the credentials
// were recognised but are invalid, or the authenticator failed.
type Authenticator interface {
	Authenticate(ctx context.Context, review *TokenReview) (TokenReviewStatus, error)
}

// TokenReview is authentication.k8s.io/v1 TokenReview on the wire.
type TokenReview struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Spec       TokenReviewSpec   `json:"spec"`
	Status     TokenReviewStatus `json:"status"`
}

// TokenReviewSpec is the review's request. Token and Audiences are Kubernetes' own fields; the
// rest are kapi extensions (ignored by a Kubernetes webhook) that carry what a non-token
// authenticator needs of the request.
type TokenReviewSpec struct {
	Token     string   `json:"token,omitempty"`
	Audiences []string `json:"audiences,omitempty"`
	// Headers are the request's HTTP headers, canonical names, Authorization included.
	Headers map[string][]string `json:"headers,omitempty"`
	// ClientCertificates is the client certificate chain, leaf first, each DER bytes (base64 in
	// JSON). It is present only when the TLS layer verified the chain against a client CA
	// (VerifiedChains), so a plugin may trust it without verifying it again.
	ClientCertificates [][]byte `json:"clientCertificates,omitempty"`
}

// TokenReviewStatus is the review's answer.
type TokenReviewStatus struct {
	Authenticated bool     `json:"authenticated"`
	User          UserInfo `json:"user,omitempty"`
	Audiences     []string `json:"audiences,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// UserInfo is authentication.k8s.io/v1 UserInfo.
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// NewTokenReview returns a review with apiVersion and kind set.
func NewTokenReview(spec TokenReviewSpec) *TokenReview {
	return &TokenReview{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview", Spec: spec}
}
