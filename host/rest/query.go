package rest

import (
	"fmt"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metainternalversionscheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme"
	metainternalversionvalidation "k8s.io/apimachinery/pkg/apis/meta/internalversion/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// decodeQuery reads meta/v1 options (GetOptions, CreateOptions ...) from the query, as kube's
// ParameterCodec does; a value that does not parse is 400 BadRequest.
func decodeQuery(query url.Values, into runtime.Object) error {
	if err := metainternalversionscheme.ParameterCodec.DecodeParameters(query, metav1.SchemeGroupVersion, into); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	return nil
}

// invalidOptions is kube's 422 for options that fail validation, e.g. dryRun=Some.
func invalidOptions(kind string, errs field.ErrorList) error {
	return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: kind}, "", errs)
}

func (s *scope) getOptions() (*metav1.GetOptions, error) {
	opts := &metav1.GetOptions{}
	if err := decodeQuery(s.r.URL.Query(), opts); err != nil {
		return nil, err
	}
	return opts, nil
}

func (s *scope) createOptions() (*metav1.CreateOptions, error) {
	opts := &metav1.CreateOptions{}
	if err := decodeQuery(s.r.URL.Query(), opts); err != nil {
		return nil, err
	}
	if errs := metav1validation.ValidateCreateOptions(opts); len(errs) > 0 {
		return nil, invalidOptions("CreateOptions", errs)
	}
	return opts, nil
}

func (s *scope) updateOptions() (*metav1.UpdateOptions, error) {
	opts := &metav1.UpdateOptions{}
	if err := decodeQuery(s.r.URL.Query(), opts); err != nil {
		return nil, err
	}
	if errs := metav1validation.ValidateUpdateOptions(opts); len(errs) > 0 {
		return nil, invalidOptions("UpdateOptions", errs)
	}
	return opts, nil
}

func (s *scope) patchOptions(pt types.PatchType) (*metav1.PatchOptions, error) {
	opts := &metav1.PatchOptions{}
	if err := decodeQuery(s.r.URL.Query(), opts); err != nil {
		return nil, err
	}
	if errs := metav1validation.ValidatePatchOptions(opts, pt); len(errs) > 0 {
		return nil, invalidOptions("PatchOptions", errs)
	}
	return opts, nil
}

// listOptions reads list and watch options from the query, as kube's list handler: selectors
// must parse and name only fields the resource can select by (400), and the combination must be
// valid (422).
func (s *scope) listOptions(watch bool) (*metav1.ListOptions, error) {
	var in metainternalversion.ListOptions
	if err := metainternalversionscheme.ParameterCodec.DecodeParameters(s.r.URL.Query(), metav1.SchemeGroupVersion, &in); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if watch {
		in.Watch = true
	}
	if s.info.Name != "" {
		// A watch of one object, /watch/namespaces/ns/kind/name, selects it by name.
		nameSelector := fields.OneTermEqualSelector("metadata.name", s.info.Name)
		if in.FieldSelector == nil || in.FieldSelector.Empty() {
			in.FieldSelector = nameSelector
		} else if value, found := in.FieldSelector.RequiresExactMatch("metadata.name"); !found || value != s.info.Name {
			if found {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("fieldSelector metadata.name=%s does not match the name on the URL %s", value, s.info.Name))
			}
			in.FieldSelector = fields.AndSelectors(in.FieldSelector, nameSelector)
		}
	}
	if in.FieldSelector != nil {
		supported := s.selectableFields()
		for _, req := range in.FieldSelector.Requirements() {
			if !supported[req.Field] {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
	}
	if errs := metainternalversionvalidation.ValidateListOptions(&in, true); len(errs) > 0 {
		return nil, invalidOptions("ListOptions", errs)
	}
	out := &metav1.ListOptions{}
	if err := metainternalversion.Convert_internalversion_ListOptions_To_v1_ListOptions(&in, out, nil); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	return out, nil
}

// selectableFields are the field names a fieldSelector may use on the resource.
func (s *scope) selectableFields() map[string]bool {
	out := map[string]bool{"metadata.name": true}
	if s.res.Namespaced {
		out["metadata.namespace"] = true
	}
	if s.res.SelectableFields != nil && s.res.New != nil {
		for k := range s.res.SelectableFields(s.res.New()) {
			out[k] = true
		}
	}
	return out
}

// fieldValidation is the request's fieldValidation directive; kube's default is Warn.
func fieldValidation(directive string) string {
	if directive == "" {
		return metav1.FieldValidationWarn
	}
	return directive
}

// dryRun reports whether the options ask for a dry run (validated to be "All" already).
func dryRun(values []string) bool { return len(values) > 0 }

// updateOptionsFromPatch carries a patch's options over to the store's update, as kube's
// patchToUpdateOptions.
func updateOptionsFromPatch(opts *metav1.PatchOptions) *metav1.UpdateOptions {
	return &metav1.UpdateOptions{DryRun: opts.DryRun, FieldManager: opts.FieldManager, FieldValidation: opts.FieldValidation}
}
