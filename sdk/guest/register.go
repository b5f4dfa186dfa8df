package guest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
)

// RawValidator is a validating admission policy that reads the AdmissionReview's JSON itself
// (with Lookup, say) instead of having it decoded. The review's bytes are valid only during the
// call: the guest reuses their buffer for the next request, so a policy that keeps any part of
// them (a Members value, say) must copy it; Unquote's strings are copies already.
type RawValidator interface {
	ValidateRaw(ctx context.Context, review []byte) (abi.AdmissionResponse, error)
}

// RawMutator is RawValidator's mutating twin; the review's bytes are valid only during the call.
type RawMutator interface {
	AdmitRaw(ctx context.Context, review []byte) (abi.AdmissionResponse, error)
}

// FieldsValidator is a validating admission policy that reads its review as the values of its
// reads (the manifest's input: fields, abi/SPEC.md section 2.2), the cheapest form for a Go
// guest. Reads are the manifest's reads, in its order: the entries' Read indexes them, and a
// table of other reads fails the call.
type FieldsValidator interface {
	Reads() []string
	ValidateFields(ctx context.Context, f *Fields) (abi.AdmissionResponse, error)
}

// FieldsMutator is FieldsValidator's mutating twin.
type FieldsMutator interface {
	Reads() []string
	AdmitFields(ctx context.Context, f *Fields) (abi.AdmissionResponse, error)
}

// registered is the one plugin a guest module serves.
var registered struct {
	plugin     abi.Plugin
	authn      abi.Authenticator
	authz      abi.Authorizer
	mutating   abi.MutatingAdmission
	validating abi.ValidatingAdmission
	rawMut     RawMutator
	rawVal     RawValidator
	fieldsMut  FieldsMutator
	fieldsVal  FieldsValidator
	reads      *Reads // of fieldsMut or fieldsVal
}

// Register makes p the plugin this module serves. p implements abi.Plugin and one or more of
// abi.Authenticator, abi.Authorizer, abi.MutatingAdmission, abi.ValidatingAdmission, RawMutator,
// RawValidator (a raw interface wins over the decoded one of the same kind). Call it once, from
// init.
func Register(p abi.Plugin) {
	if registered.plugin != nil {
		panic("guest.Register called twice")
	}
	registered.plugin = p
	registered.authn, _ = p.(abi.Authenticator)
	registered.authz, _ = p.(abi.Authorizer)
	registered.mutating, _ = p.(abi.MutatingAdmission)
	registered.validating, _ = p.(abi.ValidatingAdmission)
	registered.rawMut, _ = p.(RawMutator)
	registered.rawVal, _ = p.(RawValidator)
	registered.fieldsMut, _ = p.(FieldsMutator)
	registered.fieldsVal, _ = p.(FieldsValidator)
	if r, ok := p.(interface{ Reads() []string }); ok && (registered.fieldsMut != nil || registered.fieldsVal != nil) {
		registered.reads = CompileReads(r.Reads())
	}
}

// RegisterValidatingAdmission registers a validating policy that needs no configuration or close.
func RegisterValidatingAdmission(v abi.ValidatingAdmission) { Register(bare{v}) }

// RegisterMutatingAdmission registers a mutating policy that needs no configuration or close.
func RegisterMutatingAdmission(m abi.MutatingAdmission) { Register(bare{m}) }

// RegisterAuthenticator registers an authenticator that needs no configuration or close.
func RegisterAuthenticator(a abi.Authenticator) { Register(bare{a}) }

// RegisterAuthorizer registers an authorizer that needs no configuration or close.
func RegisterAuthorizer(a abi.Authorizer) { Register(bare{a}) }

// bare adapts a value of one kind to abi.Plugin, forwarding the kind's method.
type bare struct{ v any }

func (b bare) Provision(_ context.Context, config []byte, _ abi.Host) error {
	if len(config) > 0 && string(config) != "{}" && string(config) != "null" {
		return errors.New("this plugin takes no configuration")
	}
	return nil
}

func (b bare) Close() error { return nil }

func (b bare) Authenticate(ctx context.Context, r *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if a, ok := b.v.(abi.Authenticator); ok {
		return a.Authenticate(ctx, r)
	}
	return abi.TokenReviewStatus{}, errNotKind
}

func (b bare) Authorize(ctx context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	if a, ok := b.v.(abi.Authorizer); ok {
		return a.Authorize(ctx, r)
	}
	return abi.SubjectAccessReviewStatus{}, errNotKind
}

func (b bare) Admit(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if a, ok := b.v.(abi.MutatingAdmission); ok {
		return a.Admit(ctx, r)
	}
	return abi.AdmissionResponse{}, errNotKind
}

func (b bare) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if a, ok := b.v.(abi.ValidatingAdmission); ok {
		return a.Validate(ctx, r)
	}
	return abi.AdmissionResponse{}, errNotKind
}

var errNotKind = errors.New("the registered plugin does not implement this kind")

// dispatch runs one call export's work: decode the request, call the plugin, append the answer
// to out. Every failure becomes the error envelope, so that a plugin error never looks like a
// trap.
func dispatch(export string, req, out []byte) []byte {
	ans, err := serve(export, req, out)
	if err != nil {
		b, _ := json.Marshal(abi.ErrorAnswer{Error: err.Error()})
		return append(out, b...)
	}
	return ans
}

func serve(export string, req, out []byte) ([]byte, error) {
	ctx := context.Background()
	if registered.plugin == nil {
		return nil, errors.New("no plugin registered: call guest.Register from init")
	}
	switch export {
	case abi.ExportAuthenticate:
		if registered.authn == nil {
			return nil, errNotKind
		}
		var r abi.TokenReview
		if err := json.Unmarshal(req, &r); err != nil {
			return nil, fmt.Errorf("decoding TokenReview: %w", err)
		}
		st, err := registered.authn.Authenticate(ctx, &r)
		if err != nil {
			return nil, err
		}
		r.Status = st
		r.Spec = abi.TokenReviewSpec{}
		b, err := json.Marshal(&r)
		return append(out, b...), err
	case abi.ExportAuthorize:
		if registered.authz == nil {
			return nil, errNotKind
		}
		r, err := decodeSubjectAccessReview(req)
		if err != nil {
			return nil, fmt.Errorf("decoding SubjectAccessReview: %w", err)
		}
		st, err := registered.authz.Authorize(ctx, r)
		if err != nil {
			return nil, err
		}
		r.Status = st
		return appendSubjectAccessReviewAnswer(out, r), nil
	case abi.ExportAdmit, abi.ExportValidate:
		return admission(ctx, export == abi.ExportAdmit, req, out)
	}
	return nil, fmt.Errorf("unknown export %q", export)
}

// fields is the table of the call in progress, reused from call to call.
var fields Fields

func admission(ctx context.Context, mutating bool, req, out []byte) ([]byte, error) {
	var resp abi.AdmissionResponse
	var err error
	switch {
	case len(req) > 0 && req[0] == abi.FieldsMagic[0]:
		if resp, err = admitFields(ctx, mutating, req); err != nil {
			return nil, err
		}
	case mutating && registered.rawMut != nil:
		resp, err = registered.rawMut.AdmitRaw(ctx, req)
	case !mutating && registered.rawVal != nil:
		resp, err = registered.rawVal.ValidateRaw(ctx, req)
	case mutating && registered.mutating != nil, !mutating && registered.validating != nil:
		var r abi.AdmissionReview
		if err := json.Unmarshal(req, &r); err != nil {
			return nil, fmt.Errorf("decoding AdmissionReview: %w", err)
		}
		if mutating {
			resp, err = registered.mutating.Admit(ctx, &r)
		} else {
			resp, err = registered.validating.Validate(ctx, &r)
		}
	default:
		return nil, errNotKind
	}
	if err != nil {
		return nil, err
	}
	return appendAdmissionAnswer(out, &resp), nil
}

// admitFields serves a review sent as a fields table.
func admitFields(ctx context.Context, mutating bool, table []byte) (abi.AdmissionResponse, error) {
	if (mutating && registered.fieldsMut == nil) || (!mutating && registered.fieldsVal == nil) {
		return abi.AdmissionResponse{}, errors.New("the review came as a fields table (the manifest's input: fields), " +
			"and the plugin reads no fields: it implements neither guest.FieldsMutator nor guest.FieldsValidator for this kind")
	}
	if err := fields.reset(table, registered.reads); err != nil {
		return abi.AdmissionResponse{}, err
	}
	var resp abi.AdmissionResponse
	var err error
	if mutating {
		resp, err = registered.fieldsMut.AdmitFields(ctx, &fields)
	} else {
		resp, err = registered.fieldsVal.ValidateFields(ctx, &fields)
	}
	if err == nil {
		err = fields.Err()
	}
	return resp, err
}
