package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	"github.com/kapi-dev/kapi/host/admission"
)

// maxJSONPatchOperations is kube's limit on the operations of one JSON patch.
const maxJSONPatchOperations = 10000

// patchTypesFor lists the patch types a resource accepts, as kube's 415 answer names them:
// strategic merge patch needs a Go type to read merge keys from, so custom resources lack it.
func patchTypesFor(obj runtime.Object) []string {
	if _, ok := obj.(*unstructured.Unstructured); ok {
		return []string{string(types.JSONPatchType), string(types.MergePatchType), string(types.ApplyPatchType)}
	}
	return []string{string(types.JSONPatchType), string(types.MergePatchType), string(types.StrategicMergePatchType), string(types.ApplyPatchType)}
}

// patchType reads the Content-Type of a patch, 415 when the resource does not accept it.
func (s *scope) patchType() (types.PatchType, error) {
	accepted := patchTypesFor(s.newObj())
	mt, _, err := mime.ParseMediaType(s.r.Header.Get("Content-Type"))
	if err != nil {
		return "", unsupportedMediaType(accepted)
	}
	for _, a := range accepted {
		if mt == a {
			return types.PatchType(mt), nil
		}
	}
	return "", unsupportedMediaType(accepted)
}

func (s *scope) patch() {
	growStack()
	pt, err := s.patchType()
	if err != nil {
		s.fail(err)
		return
	}
	opts, err := s.patchOptions(pt)
	if err != nil {
		s.fail(err)
		return
	}
	patchBytes, err := readBody(s.r, s.h.opts.MaxRequestBodyBytes)
	if err != nil {
		s.fail(err)
		return
	}
	// Parse the patch once, before touching the store: a malformed patch is 400 whatever is stored.
	p, err := parsePatch(pt, patchBytes)
	if err != nil {
		s.fail(err)
		return
	}
	dry := dryRun(opts.DryRun)
	updateOpts := updateOptionsFromPatch(opts)
	apply := func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(s.res.GroupVersionResource().GroupResource(), s.info.Name)
		}
		if p.typ == types.ApplyPatchType {
			next, err := s.applyConfiguration(current, p.applyObj, opts)
			if err != nil {
				return nil, err
			}
			return s.mutate(ctx, admission.Update, next, current, dry, updateOpts)
		}
		currentJSON, err := encodeJSON(current, s.kind)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		patchedJSON, err := p.apply(currentJSON, s.newObj())
		if err != nil {
			return nil, err
		}
		next, err := s.decodePatched(patchedJSON, opts.FieldValidation)
		if err != nil {
			return nil, err
		}
		if err := s.checkName(next); err != nil {
			return nil, err
		}
		next = s.trackUpdate(current, next, opts.FieldManager)
		// Admission sees a patch as the update it becomes, with UpdateOptions, as kube.
		return s.mutate(ctx, admission.Update, next, current, dry, updateOpts)
	}
	out, _, err := s.store.Update(s.r.Context(), s.ns, s.info.Name, s.info.Subresource, apply,
		s.validating(admission.Update, dry, updateOpts), false, updateOpts)
	if err != nil && p.typ == types.ApplyPatchType && s.info.Subresource == "" && apierrors.IsNotFound(err) {
		// Apply creates what does not exist, whatever the resource's PUT does.
		s.applyCreate(p.applyObj, opts)
		return
	}
	if err != nil {
		s.fail(err)
		return
	}
	s.writeObject(http.StatusOK, out)
}

// applyCreate creates an object from an apply configuration, as kube's applyPatcher does for an
// object that does not exist.
func (s *scope) applyCreate(patch *unstructured.Unstructured, opts *metav1.PatchOptions) {
	ctx := s.r.Context()
	live := s.newObj()
	live.GetObjectKind().SetGroupVersionKind(s.kind)
	obj, err := s.applyConfiguration(live, patch, opts)
	if err != nil {
		s.fail(err)
		return
	}
	createOpts := &metav1.CreateOptions{DryRun: opts.DryRun, FieldManager: opts.FieldManager, FieldValidation: opts.FieldValidation}
	dry := dryRun(opts.DryRun)
	if obj, err = s.mutate(ctx, admission.Create, obj, nil, dry, createOpts); err != nil {
		s.fail(err)
		return
	}
	out, err := s.store.Create(ctx, s.ns, obj, s.validating(admission.Create, dry, createOpts), createOpts)
	if err != nil {
		s.fail(err)
		return
	}
	s.writeObject(http.StatusCreated, out)
}

// applyConfiguration merges an apply configuration into live after checking that it names the
// URL's kind, object and namespace.
func (s *scope) applyConfiguration(live runtime.Object, patch *unstructured.Unstructured, opts *metav1.PatchOptions) (runtime.Object, error) {
	if k := patch.GetKind(); k != s.kind.Kind {
		return nil, kindMismatch(k, versionOf(patch.GetAPIVersion(), s.kind), s.kind)
	}
	if v := patch.GetAPIVersion(); v != s.kind.GroupVersion().String() {
		return nil, apiVersionMismatch(v, s.kind)
	}
	force := opts.Force != nil && *opts.Force
	next, err := s.applyTo(live, patch, opts.FieldManager, force)
	if err != nil {
		return nil, err
	}
	if err := s.checkName(next); err != nil {
		return nil, err
	}
	if err := s.ensureNamespace(next); err != nil {
		return nil, err
	}
	return next, nil
}

// decodePatched decodes a patched object, as kube: a patch that leaves something that is not an
// object of the kind is 422 Invalid; unknown fields are handled by fieldValidation.
func (s *scope) decodePatched(data []byte, validation string) (runtime.Object, error) {
	obj := s.newObj()
	var strictErrs []error
	var err error
	if u, ok := obj.(*unstructured.Unstructured); ok {
		m := map[string]interface{}{}
		strictErrs, err = sigsjson.UnmarshalStrict(data, &m, sigsjson.DisallowDuplicateFields)
		u.Object = m
	} else {
		strictErrs, err = sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	}
	if err != nil {
		return nil, apierrors.NewInvalid(schema.GroupKind{}, "", field.ErrorList{field.Invalid(field.NewPath("patch"), string(data), err.Error())})
	}
	// A patch may drop kind and apiVersion (they default to the URL's), not change them.
	if gvk := obj.GetObjectKind().GroupVersionKind(); !gvk.Empty() && gvk != s.kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the patch changes the object's kind or apiVersion to %s, %s", gvk.Kind, gvk.GroupVersion()))
	}
	if err := s.applyFieldValidation(validation, strictErrs); err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(s.kind)
	return obj, nil
}

// parsedPatch is a patch checked for form, ready to apply to each try's current object.
type parsedPatch struct {
	typ       types.PatchType
	raw       []byte
	jsonPatch jsonpatch.Patch
	smp       map[string]interface{}
	applyObj  *unstructured.Unstructured
}

// parsePatch checks a patch's form: malformed is 400 BadRequest, too many operations 413.
func parsePatch(pt types.PatchType, data []byte) (*parsedPatch, error) {
	p := &parsedPatch{typ: pt, raw: data}
	switch pt {
	case types.JSONPatchType:
		ops, err := jsonpatch.DecodePatch(data)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if len(ops) > maxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("The allowed maximum operations in a JSON patch is %d, got %d", maxJSONPatchOperations, len(ops)))
		}
		p.jsonPatch = ops
	case types.MergePatchType:
		var v map[string]interface{}
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("%v: %v", jsonpatch.ErrBadJSONPatch, err))
		}
	case types.StrategicMergePatchType:
		if err := json.Unmarshal(data, &p.smp); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	case types.ApplyPatchType:
		obj, err := parseApplyPatch(data)
		if err != nil {
			return nil, err
		}
		p.applyObj = obj
	default:
		return nil, unsupportedMediaType([]string{string(pt)})
	}
	return p, nil
}

// apply patches a JSON document. A patch that does not apply (a missing path) is 422, as kube.
func (p *parsedPatch) apply(doc []byte, dataStruct runtime.Object) ([]byte, error) {
	switch p.typ {
	case types.JSONPatchType:
		out, err := p.jsonPatch.Apply(doc)
		if err != nil {
			return nil, apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
		}
		return out, nil
	case types.MergePatchType:
		out, err := jsonpatch.MergePatch(doc, p.raw)
		if err != nil {
			if errors.Is(err, jsonpatch.ErrBadJSONPatch) {
				return nil, apierrors.NewBadRequest(err.Error())
			}
			return nil, apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
		}
		return out, nil
	case types.StrategicMergePatchType:
		var current map[string]interface{}
		if err := json.Unmarshal(doc, &current); err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		out, err := strategicpatch.StrategicMergeMapPatch(current, p.smp, dataStruct)
		if err != nil {
			return nil, strategicPatchError(err)
		}
		return json.Marshal(out)
	}
	return nil, unsupportedMediaType([]string{string(p.typ)})
}

// strategicPatchError classifies a strategic merge patch failure as kube's
// interpretStrategicMergePatchError.
func strategicPatchError(err error) error {
	switch {
	case errors.Is(err, mergepatch.ErrBadJSONDoc), errors.Is(err, mergepatch.ErrBadPatchFormatForPrimitiveList),
		errors.Is(err, mergepatch.ErrBadPatchFormatForRetainKeys), errors.Is(err, mergepatch.ErrBadPatchFormatForSetElementOrderList),
		errors.Is(err, mergepatch.ErrUnsupportedStrategicMergePatchFormat):
		return apierrors.NewBadRequest(err.Error())
	case errors.Is(err, mergepatch.ErrNoListOfLists), errors.Is(err, mergepatch.ErrPatchContentNotMatchRetainKeys):
		return apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
	}
	return apierrors.NewBadRequest(err.Error())
}
