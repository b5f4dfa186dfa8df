package abi

import (
	"context"
	"encoding/json"
	"sync"
)

// MutatingAdmission may change an object before it is validated and stored. It answers with an
// AdmissionResponse whose Patch, if any, is a JSON patch (RFC 6902) against the request's Object.
type MutatingAdmission interface {
	Admit(ctx context.Context, review *AdmissionReview) (AdmissionResponse, error)
}

// ValidatingAdmission accepts or rejects an object after mutation and validation. A Patch in its
// answer is an error.
type ValidatingAdmission interface {
	Validate(ctx context.Context, review *AdmissionReview) (AdmissionResponse, error)
}

// AdmissionReview is admission.k8s.io/v1 AdmissionReview on the wire.
type AdmissionReview struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Request    *AdmissionRequest  `json:"request,omitempty"`
	Response   *AdmissionResponse `json:"response,omitempty"`

	// encoded caches the review's JSON so that a request seen by many plugins is encoded once.
	encodeOnce sync.Once
	encoded    []byte
}

// Encoded returns the review's JSON (see AppendJSON), computed on first use and shared
// afterwards. The review must not be changed after the first call. The error is always nil: the
// encoder copies the request's RawMessage members without validating them, which is why they
// must hold valid JSON.
func (r *AdmissionReview) Encoded() ([]byte, error) {
	r.encodeOnce.Do(func() { r.encoded = r.AppendJSON(make([]byte, 0, r.encodedSizeHint())) })
	return r.encoded, nil
}

// AdmissionRequest is admission.k8s.io/v1 AdmissionRequest.
type AdmissionRequest struct {
	UID                string                `json:"uid"`
	Kind               GroupVersionKind      `json:"kind"`
	Resource           GroupVersionResource  `json:"resource"`
	SubResource        string                `json:"subResource,omitempty"`
	RequestKind        *GroupVersionKind     `json:"requestKind,omitempty"`
	RequestResource    *GroupVersionResource `json:"requestResource,omitempty"`
	RequestSubResource string                `json:"requestSubResource,omitempty"`
	Name               string                `json:"name,omitempty"`
	Namespace          string                `json:"namespace,omitempty"`
	Operation          string                `json:"operation"` // CREATE, UPDATE, DELETE, CONNECT
	UserInfo           UserInfo              `json:"userInfo"`
	// Object is the object the operation would store. It must be empty or hold valid JSON, as
	// must OldObject and Options: AdmissionReview's encoder copies all three as they are, without
	// validating or compacting them (encoding/json does both, and that was most of the cost of
	// encoding a review). What json.Marshal writes qualifies, and is then encoded byte for byte
	// as json.Marshal would encode the review.
	Object json.RawMessage `json:"object,omitempty"`
	// OldObject is the stored object an UPDATE or DELETE acts on; valid JSON, as Object.
	OldObject json.RawMessage `json:"oldObject,omitempty"`
	DryRun    *bool           `json:"dryRun,omitempty"`
	// Options are the operation's options (CreateOptions, UpdateOptions, ...); valid JSON, as
	// Object.
	Options json.RawMessage `json:"options,omitempty"`
}

// AdmissionResponse is admission.k8s.io/v1 AdmissionResponse.
type AdmissionResponse struct {
	UID              string            `json:"uid"`
	Allowed          bool              `json:"allowed"`
	Result           *Status           `json:"status,omitempty"`
	Patch            []byte            `json:"patch,omitempty"`
	PatchType        *string           `json:"patchType,omitempty"` // "JSONPatch" when Patch is set
	AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
	Warnings         []string          `json:"warnings,omitempty"`
}

// Status is the part of meta/v1 Status an admission answer carries.
type Status struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    int32  `json:"code,omitempty"`
}

// GroupVersionKind names a kind.
type GroupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// GroupVersionResource names a resource.
type GroupVersionResource struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Resource string `json:"resource"`
}

// PatchTypeJSONPatch is the only patch type ABI v1 admits.
const PatchTypeJSONPatch = "JSONPatch"

// NewAdmissionReview wraps a request with apiVersion and kind set.
func NewAdmissionReview(req *AdmissionRequest) *AdmissionReview {
	return &AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Request: req}
}
