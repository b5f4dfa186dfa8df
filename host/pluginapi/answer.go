package pluginapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

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
	// reads, when not nil, is the part of each review the plugin is sent (its manifest's reads).
	reads *Projection
	// fields, when not nil, is the fields table admission reviews are sent as instead (the
	// manifest's input: fields).
	fields *Fields
}

// NewCaller returns the Caller of the plugin m describes, whose calls go through roundTrip.
func NewCaller(m *Manifest, roundTrip RoundTrip) (*Caller, error) {
	reads, err := m.Projection()
	if err != nil {
		return nil, err
	}
	fields, err := m.Fields()
	if err != nil {
		return nil, err
	}
	return &Caller{plugin: m.Name, roundTrip: roundTrip, reads: reads, fields: fields}, nil
}

// requestBuffers hold the requests the Caller writes: the TokenReviews and SubjectAccessReviews it
// encodes and the projections it makes. A call's buffers are free again once its RoundTrip
// returns (the transports copy the request).
var requestBuffers = sync.Pool{New: func() any { return new([]byte) }}

// send carries a review's JSON to the plugin: the projection of it when the manifest has reads.
func (c *Caller) send(ctx context.Context, kind abi.Kind, reviewKind string, doc []byte) ([]byte, error) {
	if c.reads == nil {
		return c.roundTrip(ctx, kind, doc)
	}
	return c.sendAs(ctx, kind, c.reads, "projecting", reviewKind, doc)
}

// docForm is a form a review is sent in, written from its JSON: a Projection or a Fields table.
type docForm interface {
	Append(dst, doc []byte) ([]byte, error)
}

// sendAs carries doc to the plugin in the given form, written into a pooled buffer; doing and
// reviewKind name the writing in an error.
func (c *Caller) sendAs(ctx context.Context, kind abi.Kind, form docForm, doing, reviewKind string, doc []byte) ([]byte, error) {
	buf := requestBuffers.Get().(*[]byte)
	defer requestBuffers.Put(buf)
	req, err := form.Append((*buf)[:0], doc)
	if err != nil {
		return nil, fmt.Errorf("%s %s for plugin %q: %w", doing, reviewKind, c.plugin, err)
	}
	*buf = req
	return c.roundTrip(ctx, kind, req)
}

// Authenticate implements abi.Authenticator.
func (c *Caller) Authenticate(ctx context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	r := statusReview{review, "TokenReview", review.APIVersion, review.Kind}
	return callForStatus[abi.TokenReviewStatus](ctx, c, abi.KindAuthenticator, r, nil)
}

// Authorize implements abi.Authorizer.
func (c *Caller) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	r := statusReview{review, "SubjectAccessReview", review.APIVersion, review.Kind}
	return callForStatus(ctx, c, abi.KindAuthorizer, r, plainAuthorizationAnswer)
}

// Admit implements abi.MutatingAdmission.
func (c *Caller) Admit(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return c.admission(ctx, abi.KindMutatingAdmission, review)
}

// Validate implements abi.ValidatingAdmission.
func (c *Caller) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return c.admission(ctx, abi.KindValidatingAdmission, review)
}

// statusReview is a review whose answer is the review with its status set (TokenReview,
// SubjectAccessReview): its encoder, which abi writes by hand, byte for byte as json.Marshal
// would and without its reflection; its name for messages; and its apiVersion and kind, which
// are all a plugin that reads nothing is sent.
type statusReview struct {
	json interface{ AppendJSON([]byte) []byte }
	name string

	apiVersion, kind string
}

// callForStatus makes the call of a statusReview. plain, when not nil, reads the answers it
// recognises without encoding/json.
func callForStatus[T any](ctx context.Context, c *Caller, kind abi.Kind, review statusReview, plain func([]byte) (T, bool)) (T, error) {
	var zero T
	buf := requestBuffers.Get().(*[]byte)
	defer requestBuffers.Put(buf)
	var out []byte
	var err error
	if c.reads != nil && c.reads.typeMetaOnly {
		// The projection, written without encoding the review only to cut it down.
		*buf = appendTypeMeta((*buf)[:0], review.apiVersion, review.kind)
		out, err = c.roundTrip(ctx, kind, *buf)
	} else {
		*buf = review.json.AppendJSON((*buf)[:0])
		out, err = c.send(ctx, kind, review.name, *buf)
	}
	if err != nil {
		return zero, err
	}
	if plain != nil {
		if st, ok := plain(out); ok {
			return st, nil
		}
	}
	// The envelopes are unnamed structs so that a decoding error reads "Go struct field .status".
	var ans struct {
		Error  *string `json:"error"`
		Status *T      `json:"status"`
	}
	if err := c.decode(out, &ans); err != nil {
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
	var out []byte
	if c.fields != nil {
		out, err = c.sendAs(ctx, kind, c.fields, "reading the fields of", "AdmissionReview", req)
	} else {
		out, err = c.send(ctx, kind, "AdmissionReview", req)
	}
	if err != nil {
		return abi.AdmissionResponse{}, err
	}
	if resp, ok := plainAdmissionAnswer(out); ok {
		return resp, nil
	}
	var ans struct {
		Error    *string                `json:"error"`
		Response *abi.AdmissionResponse `json:"response"`
	}
	if err := c.decode(out, &ans); err != nil {
		return abi.AdmissionResponse{}, err
	}
	return answerMember(c, ans.Error, ans.Response, "response")
}

// decode decodes an answer envelope into ans, failing with a malformed *CallError for an answer
// that is not the expected JSON.
func (c *Caller) decode(out []byte, ans any) error {
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

// The SDK's guests spell their most common answers exactly as below (sdk/guest encodes them
// byte for byte as encoding/json does). plainAdmissionAnswer and plainAuthorizationAnswer read
// an answer that matches one of these templates without reflection, which is half of the host's
// cost of a Wasm call; whatever does not match, down to one byte (an escaped uid, a status, a
// warning), is left to encoding/json, so the result never differs from its.
const (
	plainAdmissionPrefix     = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"`
	plainAdmissionPatch      = `,"patch":"`
	plainAdmissionPatchType  = `","patchType":"JSONPatch"}}`
	plainAuthorizationPrefix = `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":`
)

// plainAdmissionAnswer reads {"apiVersion":...,"response":{"uid":"U","allowed":B}} and the same
// with ,"patch":"P","patchType":"JSONPatch" after allowed.
func plainAdmissionAnswer(out []byte) (abi.AdmissionResponse, bool) {
	rest, ok := bytes.CutPrefix(out, []byte(plainAdmissionPrefix))
	if !ok {
		return abi.AdmissionResponse{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !plainASCII(rest[:end]) {
		return abi.AdmissionResponse{}, false
	}
	resp := abi.AdmissionResponse{UID: string(rest[:end])}
	rest = rest[end:]
	switch {
	case bytes.HasPrefix(rest, []byte(`","allowed":true`)):
		resp.Allowed, rest = true, rest[len(`","allowed":true`):]
	case bytes.HasPrefix(rest, []byte(`","allowed":false`)):
		rest = rest[len(`","allowed":false`):]
	default:
		return abi.AdmissionResponse{}, false
	}
	if string(rest) == "}}" {
		return resp, true
	}
	rest, ok = bytes.CutPrefix(rest, []byte(plainAdmissionPatch))
	if !ok {
		return abi.AdmissionResponse{}, false
	}
	b64, ok := bytes.CutSuffix(rest, []byte(plainAdmissionPatchType))
	if !ok || len(b64) == 0 {
		return abi.AdmissionResponse{}, false
	}
	patch := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(patch, b64)
	if err != nil {
		return abi.AdmissionResponse{}, false
	}
	pt := abi.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch[:n], &pt
	return resp, true
}

// plainAuthorizationAnswer reads {"apiVersion":...,"spec":{},"status":{"allowed":B}}.
func plainAuthorizationAnswer(out []byte) (abi.SubjectAccessReviewStatus, bool) {
	rest, ok := bytes.CutPrefix(out, []byte(plainAuthorizationPrefix))
	switch {
	case ok && string(rest) == "true}}":
		return abi.SubjectAccessReviewStatus{Allowed: true}, true
	case ok && string(rest) == "false}}":
		return abi.SubjectAccessReviewStatus{}, true
	}
	return abi.SubjectAccessReviewStatus{}, false
}

// plainASCII reports whether a JSON string's inside is printable ASCII without escapes, which
// encoding/json decodes to the same bytes.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

// appendTypeMeta appends the JSON object of a review's apiVersion and kind, as json.Marshal and
// the projection write them.
func appendTypeMeta(b []byte, apiVersion, kind string) []byte {
	b = append(b, `{"apiVersion":`...)
	b = abi.AppendJSONString(b, apiVersion)
	b = append(b, `,"kind":`...)
	b = abi.AppendJSONString(b, kind)
	return append(b, '}')
}
