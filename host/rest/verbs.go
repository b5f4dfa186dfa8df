package rest

import (
	"context"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/status"
)

func (s *scope) fail(err error) { status.Write(s.w, s.r, err) }

func (s *scope) get() {
	opts, err := s.getOptions()
	if err != nil {
		s.fail(err)
		return
	}
	obj, err := s.store.Get(s.r.Context(), s.ns, s.info.Name, opts)
	if err != nil {
		s.fail(err)
		return
	}
	s.writeObject(http.StatusOK, obj)
}

func (s *scope) list() {
	opts, err := s.listOptions(false)
	if err != nil {
		s.fail(err)
		return
	}
	if opts.Watch {
		s.serveWatch(opts)
		return
	}
	list, events, err := s.listWithEvents(opts)
	if err != nil {
		s.fail(err)
		return
	}
	s.writeList(list, events)
}

// decodeBodyObject reads the request body into an object of the path's kind, applying the
// fieldValidation directive to unknown and duplicate fields.
func (s *scope) decodeBodyObject(validation string) (runtime.Object, error) {
	mediaType, err := bodyMediaType(s.r.Header.Get("Content-Type"), bodyMediaTypes(s.newObj))
	if err != nil {
		return nil, err
	}
	body, err := readBody(s.r, s.h.opts.MaxRequestBodyBytes)
	if err != nil {
		return nil, err
	}
	var d *decoded
	if mediaType == mediaProtobuf {
		d, err = decodeProtobuf(body, s.kind, s.newObj)
	} else {
		d, err = decodeObject(body, mediaType, s.kind, s.newObj)
	}
	if err != nil {
		return nil, err
	}
	if err := s.applyFieldValidation(validation, d.strictErrs); err != nil {
		return nil, err
	}
	return d.obj, nil
}

// applyFieldValidation fails (Strict), warns (Warn) or stays silent (Ignore) about unknown and
// duplicate fields.
func (s *scope) applyFieldValidation(validation string, strictErrs []error) error {
	if len(strictErrs) == 0 {
		return nil
	}
	switch fieldValidation(validation) {
	case metav1.FieldValidationStrict:
		return strictDecodingError(s.kind, strictErrs)
	case metav1.FieldValidationWarn:
		for _, e := range strictErrs {
			s.warn(e.Error())
		}
	}
	return nil
}

// ensureNamespace makes an object's namespace the request's, as kube's
// EnsureObjectNamespaceMatchesRequestNamespace: filled in when empty, cleared for cluster-scoped
// resources, 400 when it differs.
func (s *scope) ensureNamespace(obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the object has no metadata: %v", err))
	}
	switch ns := m.GetNamespace(); {
	case ns == s.ns:
	case ns == "":
		m.SetNamespace(s.ns)
	case s.ns == "":
		m.SetNamespace("")
	default:
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

// checkName makes the object's name the URL's, as kube's checkName: filled in when empty, 400
// when it differs.
func (s *scope) checkName(obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the object has no metadata: %v", err))
	}
	if name := m.GetName(); name == "" {
		m.SetName(s.info.Name)
	} else if name != s.info.Name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", name, s.info.Name))
	}
	if ns := m.GetNamespace(); ns != "" && s.ns != "" && ns != s.ns {
		return apierrors.NewBadRequest(fmt.Sprintf("the namespace of the object (%s) does not match the namespace on the request (%s)", ns, s.ns))
	}
	return nil
}

func nameOf(obj runtime.Object) string {
	if m, err := meta.Accessor(obj); err == nil {
		return m.GetName()
	}
	return ""
}

func (s *scope) create() {
	growStack()
	ctx := s.r.Context()
	opts, err := s.createOptions()
	if err != nil {
		s.fail(err)
		return
	}
	obj, err := s.decodeBodyObject(opts.FieldValidation)
	if err != nil {
		s.fail(err)
		return
	}
	if err := s.ensureNamespace(obj); err != nil {
		s.fail(err)
		return
	}
	if s.info.Subresource != "" {
		// POST to a subresource (binding, eviction) names the object in the URL.
		if err := s.checkName(obj); err != nil {
			s.fail(err)
			return
		}
	}
	dry := dryRun(opts.DryRun)
	// Managed fields are set before mutating admission, as kube does.
	obj = s.trackUpdate(nil, obj, opts.FieldManager)
	if obj, err = s.mutate(ctx, admission.Create, obj, nil, dry, opts); err != nil {
		s.fail(err)
		return
	}
	out, err := s.store.Create(ctx, s.ns, obj, s.validating(admission.Create, dry, opts), opts)
	if err != nil {
		s.fail(err)
		return
	}
	s.writeObject(http.StatusCreated, out)
}

func (s *scope) update() {
	growStack()
	opts, err := s.updateOptions()
	if err != nil {
		s.fail(err)
		return
	}
	obj, err := s.decodeBodyObject(opts.FieldValidation)
	if err != nil {
		s.fail(err)
		return
	}
	if err := s.checkName(obj); err != nil {
		s.fail(err)
		return
	}
	if err := s.ensureNamespace(obj); err != nil {
		s.fail(err)
		return
	}
	dry := dryRun(opts.DryRun)
	apply := func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		// The store may retry; each try starts from the body as sent.
		next := s.trackUpdate(current, obj.DeepCopyObject(), opts.FieldManager)
		op := admission.Update
		if current == nil {
			op = admission.Create
		}
		return s.mutate(ctx, op, next, current, dry, opts)
	}
	// The store creates on PUT only for resources whose kube strategy allows it.
	out, created, err := s.store.Update(s.r.Context(), s.ns, s.info.Name, s.info.Subresource, apply,
		s.validating(admission.Update, dry, opts), true, opts)
	if err != nil {
		s.fail(err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	s.writeObject(code, out)
}

// deleteOptions reads DeleteOptions from the body when there is one, else from the query, as
// kube's delete handler.
func (s *scope) deleteOptions() (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	body, err := readBody(s.r, s.h.opts.MaxRequestBodyBytes)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		mediaType, err := bodyMediaType(s.r.Header.Get("Content-Type"), []string{mediaJSON, mediaYAML, mediaProtobuf})
		if err != nil {
			return nil, err
		}
		if err := decodeDeleteOptions(body, mediaType, opts); err != nil {
			return nil, err
		}
	} else if err := decodeQuery(s.r.URL.Query(), opts); err != nil {
		return nil, err
	}
	if errs := metav1validation.ValidateDeleteOptions(opts); len(errs) > 0 {
		return nil, invalidOptions("DeleteOptions", errs)
	}
	return opts, nil
}

func (s *scope) delete() {
	opts, err := s.deleteOptions()
	if err != nil {
		s.fail(err)
		return
	}
	ctx := s.r.Context()
	dry := dryRun(opts.DryRun)
	adm := s.validating(admission.Delete, dry, opts)
	if s.h.adm.HasMutating() {
		// Mutating plugins see deletes too; there is no object for them to change.
		validate := adm.Validate
		adm.Validate = func(ctx context.Context, obj, old runtime.Object) error {
			if _, err := s.h.adm.Mutate(ctx, s.attributes(admission.Delete, nil, old, dry, opts)); err != nil {
				return err
			}
			if validate == nil {
				return nil
			}
			return validate(ctx, obj, old)
		}
	}
	out, deleted, err := s.store.Delete(ctx, s.ns, s.info.Name, adm, opts)
	if err != nil {
		s.fail(err)
		return
	}
	code := http.StatusOK
	//nolint:staticcheck // OrphanDependents is deprecated, but kube still answers 202 for it.
	if !deleted && opts.OrphanDependents != nil && !*opts.OrphanDependents {
		code = http.StatusAccepted
	}
	if deleted && out == nil {
		out = s.deletedStatus()
	}
	s.writeObject(code, out)
}

// deletedStatus is kube's answer to an immediate delete whose store returned nothing: a Success
// Status naming the object (its kind field holds the resource, as kube's does).
func (s *scope) deletedStatus() runtime.Object {
	details := &metav1.StatusDetails{Name: s.info.Name, Group: s.res.Group, Kind: s.res.Plural}
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details:  details,
	}
}

func (s *scope) deleteCollection() {
	listOpts, err := s.listOptions(false)
	if err != nil {
		s.fail(err)
		return
	}
	opts, err := s.deleteOptions()
	if err != nil {
		s.fail(err)
		return
	}
	dry := dryRun(opts.DryRun)
	out, err := s.store.DeleteCollection(s.r.Context(), s.ns, s.validating(admission.Delete, dry, opts), opts, listOpts)
	if err != nil {
		s.fail(err)
		return
	}
	s.writeObject(http.StatusOK, out)
}
