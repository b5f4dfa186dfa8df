package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
)

// Operations, as AdmissionRequest.Operation spells them.
const (
	Create  = "CREATE"
	Update  = "UPDATE"
	Delete  = "DELETE"
	Connect = "CONNECT"
)

// Mutating is a mutating plugin with the name its denials and failures are reported under.
type Mutating struct {
	Name   string
	Plugin abi.MutatingAdmission
}

// Validating is a validating plugin with the name its denials and failures are reported under.
type Validating struct {
	Name   string
	Plugin abi.ValidatingAdmission
}

// Selective is a plugin called only on the requests it matches (a loaded plugin's manifest
// rules, abi/SPEC.md section 4). It still answers a request it does not match, admitting it
// without asking the plugin; the chain asks Matches first so that a stage none of whose plugins
// match costs nothing, not even the object's encoding.
type Selective interface {
	Matches(*abi.AdmissionRequest) bool
}

// Chain is the ordered set of admission plugins. It is immutable and safe for concurrent use.
type Chain struct {
	mutating   []Mutating
	validating []Validating
}

// NewChain returns a chain that runs the plugins in the order given. Plugins are named by their
// position ("mutating-0", "validating-1") when given this way; use NewNamedChain to name them.
func NewChain(mutating []abi.MutatingAdmission, validating []abi.ValidatingAdmission) *Chain {
	c := &Chain{}
	for i, p := range mutating {
		c.mutating = append(c.mutating, Mutating{Name: fmt.Sprintf("mutating-%d", i), Plugin: p})
	}
	for i, p := range validating {
		c.validating = append(c.validating, Validating{Name: fmt.Sprintf("validating-%d", i), Plugin: p})
	}
	return c
}

// NewNamedChain returns a chain of named plugins, run in the order given.
func NewNamedChain(mutating []Mutating, validating []Validating) *Chain {
	return &Chain{
		mutating:   append([]Mutating(nil), mutating...),
		validating: append([]Validating(nil), validating...),
	}
}

// HasMutating reports whether any mutating plugin is configured. A nil chain has none.
func (c *Chain) HasMutating() bool { return c != nil && len(c.mutating) > 0 }

// HasValidating reports whether any validating plugin is configured. A nil chain has none.
func (c *Chain) HasValidating() bool { return c != nil && len(c.validating) > 0 }

// Attributes describe one admission request: what is being done to which object, by the user in
// the context.
type Attributes struct {
	// Kind and Resource name the object's type; Subresource is "" for the main resource.
	Kind        schema.GroupVersionKind
	Resource    schema.GroupVersionResource
	Subresource string
	Name        string
	Namespace   string
	// Operation is Create, Update, Delete or Connect.
	Operation string
	// Object is the new object (nil for a delete); OldObject the current one (nil for a create).
	Object    runtime.Object
	OldObject runtime.Object
	DryRun    bool
	// Options is the operation's options (CreateOptions, UpdateOptions, DeleteOptions), or nil.
	Options runtime.Object
	// New makes an empty object of the resource's type; Mutate decodes a patched object into it.
	New func() runtime.Object
	// Warn receives each warning a plugin returns; nil drops them.
	Warn func(msg string)
}

// Mutate runs the mutating plugins in order and returns the object as they leave it: a.Object
// itself when no plugin changed it, else a new object decoded from the patched JSON. A denial is
// a Status error (403 Forbidden unless the plugin gave a code); a failing plugin is a 500.
func (c *Chain) Mutate(ctx context.Context, a *Attributes) (runtime.Object, error) {
	if !c.HasMutating() || !anyMatches(c.mutating, a, func(m Mutating) any { return m.Plugin }) {
		return a.Object, nil
	}
	var objJSON []byte
	if a.Object != nil {
		var err error
		if objJSON, err = encodeObject(a.Object, a.Kind); err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("encoding the object for admission: %w", err))
		}
	}
	review, err := c.newReview(ctx, a, objJSON)
	if err != nil {
		return nil, err
	}
	// current is the typed object objJSON encodes, nil once a patch was applied to the JSON only.
	// stale says a label patch changed current but not yet objJSON and the review: they are
	// brought up to date only for a plugin after it, so the last plugin's patch costs no encoding.
	current := a.Object
	changed, stale := false, false
	for _, m := range c.mutating {
		if stale {
			if objJSON, err = encodeObject(current, a.Kind); err != nil {
				return nil, apierrors.NewInternalError(fmt.Errorf("encoding the object patched by admission: %w", err))
			}
			review, stale = withObject(review, objJSON), false
		}
		resp, err := m.Plugin.Admit(ctx, review)
		if err != nil {
			return nil, callError(m.Name, err)
		}
		warn(a, resp.Warnings)
		if !resp.Allowed {
			return nil, denial(m.Name, resp.Result)
		}
		if len(resp.Patch) == 0 {
			continue
		}
		if resp.PatchType != nil && *resp.PatchType != abi.PatchTypeJSONPatch {
			return nil, apierrors.NewInternalError(fmt.Errorf("admission plugin %q answered with unsupported patch type %q", m.Name, *resp.PatchType))
		}
		if objJSON == nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("admission plugin %q patched a request without an object", m.Name))
		}
		if current != nil {
			if obj, objChanged, labelsOnly := applyLabelPatch(current, resp.Patch); labelsOnly {
				if objChanged {
					current, changed, stale = obj, true, true
				}
				continue
			}
		}
		patched, err := applyJSONPatch(m.Name, objJSON, resp.Patch)
		if err != nil {
			return nil, err
		}
		if patched == nil {
			continue
		}
		// Only a patch that changed the object costs a new review for the plugins after it; the
		// rest of the request is as it was.
		objJSON, changed, current = patched, true, nil
		review = withObject(review, objJSON)
	}
	if !changed {
		return a.Object, nil
	}
	if current != nil {
		return current, nil
	}
	if a.New == nil {
		return nil, apierrors.NewInternalError(errors.New("admission attributes lack New to decode a patched object"))
	}
	out := a.New()
	if err := json.Unmarshal(objJSON, out); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("decoding the object patched by admission: %w", err))
	}
	return out, nil
}

// anyMatches reports whether a plugin of a stage is called on the request: one that is not
// Selective, or one whose rules match it.
func anyMatches[P any](stage []P, a *Attributes, plugin func(P) any) bool {
	req := abi.AdmissionRequest{Operation: a.Operation, SubResource: a.Subresource, Namespace: a.Namespace,
		Resource: abi.GroupVersionResource{Group: a.Resource.Group, Version: a.Resource.Version, Resource: a.Resource.Resource}}
	for _, p := range stage {
		s, ok := plugin(p).(Selective)
		if !ok || s.Matches(&req) {
			return true
		}
	}
	return false
}

// withObject returns a review of the same request with another object.
func withObject(review *abi.AdmissionReview, objJSON []byte) *abi.AdmissionReview {
	req := *review.Request
	req.Object = objJSON
	return abi.NewAdmissionReview(&req)
}

// applyJSONPatch applies a plugin's JSON patch to the object's JSON. It returns nil when the
// patch leaves the object as it was.
func applyJSONPatch(plugin string, objJSON, patchJSON []byte) ([]byte, error) {
	patch, err := jsonpatch.DecodePatch(patchJSON)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("admission plugin %q answered with a malformed JSON patch: %w", plugin, err))
	}
	patched, err := patch.Apply(objJSON)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("admission plugin %q: applying its JSON patch: %w", plugin, err))
	}
	if jsonpatch.Equal(patched, objJSON) {
		return nil, nil
	}
	return patched, nil
}

// Validate runs the validating plugins in order. A denial is a Status error (403 Forbidden unless
// the plugin gave a code); a failing plugin is a 500. A patch in a validating answer is an error.
func (c *Chain) Validate(ctx context.Context, a *Attributes) error {
	if !c.HasValidating() || !anyMatches(c.validating, a, func(v Validating) any { return v.Plugin }) {
		return nil
	}
	var objJSON []byte
	if a.Object != nil {
		var err error
		if objJSON, err = encodeObject(a.Object, a.Kind); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("encoding the object for admission: %w", err))
		}
	}
	review, err := c.newReview(ctx, a, objJSON)
	if err != nil {
		return err
	}
	for _, v := range c.validating {
		resp, err := v.Plugin.Validate(ctx, review)
		if err != nil {
			return callError(v.Name, err)
		}
		warn(a, resp.Warnings)
		if len(resp.Patch) > 0 {
			return apierrors.NewInternalError(fmt.Errorf("validating admission plugin %q answered with a patch", v.Name))
		}
		if !resp.Allowed {
			return denial(v.Name, resp.Result)
		}
	}
	return nil
}

// newReview builds the review all plugins of a stage share; objJSON is the object's encoding.
func (c *Chain) newReview(ctx context.Context, a *Attributes, objJSON []byte) (*abi.AdmissionReview, error) {
	uid := request.AuditIDFrom(ctx)
	if uid == "" {
		uid = string(uuid.NewUUID())
	}
	kind := abi.GroupVersionKind{Group: a.Kind.Group, Version: a.Kind.Version, Kind: a.Kind.Kind}
	res := abi.GroupVersionResource{Group: a.Resource.Group, Version: a.Resource.Version, Resource: a.Resource.Resource}
	req := &abi.AdmissionRequest{
		UID:                uid,
		Kind:               kind,
		Resource:           res,
		SubResource:        a.Subresource,
		RequestKind:        &kind,
		RequestResource:    &res,
		RequestSubResource: a.Subresource,
		Name:               a.Name,
		Namespace:          a.Namespace,
		Operation:          a.Operation,
		Object:             objJSON,
		DryRun:             &a.DryRun,
	}
	if u, ok := request.UserFrom(ctx); ok && u != nil {
		req.UserInfo = *u
	}
	if a.OldObject != nil {
		old, err := encodeObject(a.OldObject, a.Kind)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("encoding the old object for admission: %w", err))
		}
		req.OldObject = old
	}
	if a.Options != nil {
		opts, err := encodeOptions(a.Options)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("encoding the options for admission: %w", err))
		}
		req.Options = opts
	}
	return abi.NewAdmissionReview(req), nil
}

func warn(a *Attributes, warnings []string) {
	if a.Warn == nil {
		return
	}
	for _, w := range warnings {
		a.Warn(w)
	}
}

// denial turns a plugin's refusal into the Status error the client sees.
func denial(name string, result *abi.Status) error {
	deniedBy := fmt.Sprintf("admission webhook %q denied the request", name)
	if result != nil && result.Code != 0 {
		st := metav1.Status{Status: metav1.StatusFailure, Code: result.Code, Reason: metav1.StatusReason(result.Reason), Message: result.Message}
		if st.Code < http.StatusBadRequest {
			// A refusal is never a success, whatever code the plugin gave.
			st.Code = http.StatusBadRequest
		}
		if st.Message == "" {
			st.Message = deniedBy + " without explanation"
		}
		return &apierrors.StatusError{ErrStatus: st}
	}
	st := metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden}
	switch {
	case result != nil && result.Message != "":
		st.Message = deniedBy + ": " + result.Message
	case result != nil && result.Reason != "":
		st.Message = deniedBy + ": " + result.Reason
	default:
		st.Message = deniedBy + " without explanation"
	}
	return &apierrors.StatusError{ErrStatus: st}
}

// callError reports a plugin that failed to answer; Status errors pass through unchanged.
func callError(name string, err error) error {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return err
	}
	return apierrors.NewInternalError(fmt.Errorf("failed calling admission plugin %q: %w", name, err))
}

// encodeObject encodes obj as JSON with kind and apiVersion set, without changing obj (it may be
// shared with the watch cache).
func encodeObject(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if !obj.GetObjectKind().GroupVersionKind().Empty() {
		return data, nil
	}
	return withTypeMeta(data, gvk), nil
}

func encodeOptions(opts runtime.Object) ([]byte, error) {
	kind := ""
	switch o := opts.(type) {
	case *metav1.CreateOptions:
		if o.Kind == "" && o.APIVersion == "" {
			return appendWriteOptions(nil, "CreateOptions", o.DryRun, o.FieldManager, o.FieldValidation), nil
		}
		kind = "CreateOptions"
	case *metav1.UpdateOptions:
		if o.Kind == "" && o.APIVersion == "" {
			return appendWriteOptions(nil, "UpdateOptions", o.DryRun, o.FieldManager, o.FieldValidation), nil
		}
		kind = "UpdateOptions"
	case *metav1.DeleteOptions:
		kind = "DeleteOptions"
	case *metav1.PatchOptions:
		kind = "PatchOptions"
	}
	return encodeObject(opts, metav1.SchemeGroupVersion.WithKind(kind))
}

// appendWriteOptions writes CreateOptions or UpdateOptions (which have the same fields) without
// their type meta set, byte for byte as encodeObject does, without reflection: every create and
// update with admission plugins encodes its options twice, once per stage.
func appendWriteOptions(b []byte, kind string, dryRun []string, fieldManager, fieldValidation string) []byte {
	b = append(b, `{"kind":"`...)
	b = append(b, kind...)
	b = append(b, `","apiVersion":"meta.k8s.io/v1"`...)
	if len(dryRun) > 0 {
		b = append(b, `,"dryRun":[`...)
		for i, d := range dryRun {
			if i > 0 {
				b = append(b, ',')
			}
			b = abi.AppendJSONString(b, d)
		}
		b = append(b, ']')
	}
	if fieldManager != "" {
		b = append(b, `,"fieldManager":`...)
		b = abi.AppendJSONString(b, fieldManager)
	}
	if fieldValidation != "" {
		b = append(b, `,"fieldValidation":`...)
		b = abi.AppendJSONString(b, fieldValidation)
	}
	return append(b, '}')
}

// withTypeMeta puts kind and apiVersion first in a JSON object that lacks them.
func withTypeMeta(data []byte, gvk schema.GroupVersionKind) []byte {
	if gvk.Kind == "" || len(data) < 2 || data[0] != '{' {
		return data
	}
	var b bytes.Buffer
	b.Grow(len(data) + 64)
	b.WriteString(`{"kind":`)
	k, _ := json.Marshal(gvk.Kind)
	b.Write(k)
	b.WriteString(`,"apiVersion":`)
	v, _ := json.Marshal(gvk.GroupVersion().String())
	b.Write(v)
	rest := bytes.TrimSpace(data[1:])
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes()
}
