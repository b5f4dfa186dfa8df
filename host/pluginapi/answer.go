package pluginapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
)

// RoundTrip carries one call's request JSON to a plugin, as a runtime's transport does (a Wasm
// export, a gRPC method), and returns the answer's bytes. kind says which call it is; a runtime
// fails a kind other than its manifest's. It reports its own failures as a *CallError.
type RoundTrip func(ctx context.Context, kind abi.Kind, request []byte) ([]byte, error)

// Caller is the part of a plugin's four kind methods that does not depend on the runtime: it
// encodes the review, runs it through a RoundTrip and decodes the answer envelope of abi/SPEC.md
// section 2, turning a plugin's error envelope and a malformed answer into a *CallError naming the
// plugin. A runtime embeds it to implement abi.Authenticator, abi.Authorizer,
// abi.MutatingAdmission and abi.ValidatingAdmission. Its methods may be called concurrently when
// the RoundTrip may.
type Caller struct {
	plugin    string
	roundTrip RoundTrip
}

// NewCaller returns the Caller of the named plugin, whose calls go through roundTrip.
func NewCaller(plugin string, roundTrip RoundTrip) *Caller {
	return &Caller{plugin: plugin, roundTrip: roundTrip}
}

// Authenticate implements abi.Authenticator.
func (c *Caller) Authenticate(ctx context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	return callForStatus[abi.TokenReviewStatus](ctx, c, abi.KindAuthenticator, "TokenReview", review)
}

// Authorize implements abi.Authorizer.
func (c *Caller) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return callForStatus[abi.SubjectAccessReviewStatus](ctx, c, abi.KindAuthorizer, "SubjectAccessReview", review)
}

// Admit implements abi.MutatingAdmission.
func (c *Caller) Admit(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return c.admission(ctx, abi.KindMutatingAdmission, review)
}

// Validate implements abi.ValidatingAdmission.
func (c *Caller) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return c.admission(ctx, abi.KindValidatingAdmission, review)
}

// callForStatus makes the call of a review whose answer is the review with its status set
// (TokenReview, SubjectAccessReview).
func callForStatus[T any](ctx context.Context, c *Caller, kind abi.Kind, reviewKind string, review any) (T, error) {
	var zero T
	req, err := json.Marshal(review)
	if err != nil {
		return zero, fmt.Errorf("encoding %s for plugin %q: %w", reviewKind, c.plugin, err)
	}
	// The envelopes are unnamed structs so that a decoding error reads "Go struct field .status".
	var ans struct {
		Error  *string `json:"error"`
		Status *T      `json:"status"`
	}
	if err := c.call(ctx, kind, req, &ans); err != nil {
		return zero, err
	}
	return answerMember(c, ans.Error, ans.Status, "status")
}

func (c *Caller) admission(ctx context.Context, kind abi.Kind, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	// Encoded once per request, however many plugins see it.
	req, err := review.Encoded()
	if err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("encoding AdmissionReview for plugin %q: %w", c.plugin, err)
	}
	var ans struct {
		Error    *string                `json:"error"`
		Response *abi.AdmissionResponse `json:"response"`
	}
	if err := c.call(ctx, kind, req, &ans); err != nil {
		return abi.AdmissionResponse{}, err
	}
	return answerMember(c, ans.Error, ans.Response, "response")
}

// call runs one request through the round trip and decodes the answer envelope into ans. It
// returns the round trip's error as it is, and a malformed *CallError for an answer that is not
// the expected JSON.
func (c *Caller) call(ctx context.Context, kind abi.Kind, request []byte, ans any) error {
	out, err := c.roundTrip(ctx, kind, request)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, ans); err != nil {
		return c.malformed("answer is not the expected JSON: %v (answer starts %.120q)", err, out)
	}
	return nil
}

// answerMember reads a decoded envelope (abi/SPEC.md section 2): the plugin's error envelope
// (pluginErr not nil) fails the call whatever else the answer holds; otherwise the answer member
// (named member in the JSON) must be there. Each kind decodes only its own answer member, so a
// member of another review's shape is ignored like any unknown member.
func answerMember[T any](c *Caller, pluginErr *string, answer *T, member string) (T, error) {
	var zero T
	switch {
	case pluginErr != nil:
		return zero, c.pluginError(*pluginErr)
	case answer == nil:
		return zero, c.malformed("answer has no %s", member)
	}
	return *answer, nil
}

func (c *Caller) malformed(format string, args ...any) error {
	return &CallError{Plugin: c.plugin, Reason: ReasonMalformed, Err: fmt.Errorf(format, args...)}
}

func (c *Caller) pluginError(msg string) error {
	if msg == "" {
		msg = "plugin answered with an empty error"
	}
	return &CallError{Plugin: c.plugin, Reason: ReasonError, Err: errors.New(msg)}
}
