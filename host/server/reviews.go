package server

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// The review resources are kube-apiserver's virtual, create-only resources that ask the server's
// own authentication and authorization: SelfSubjectReview (kubectl auth whoami),
// SelfSubjectAccessReview (kubectl auth can-i) and SubjectAccessReview. Nothing is stored; a create
// answers with the review's status filled in.

// tokenAuthenticator authenticates a bearer token alone (host/authn's Union).
type tokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (*abi.UserInfo, bool, error)
}

// reviewEntries returns the registry entries of the review resources, answering with authn and
// authz.
func reviewEntries(authn tokenAuthenticator, authz abi.Authorizer) []*registry.Entry {
	return []*registry.Entry{
		reviewEntry("authentication.k8s.io", "TokenReview", "tokenreviews", "tokenreview",
			func() runtime.Object { return &authenticationv1.TokenReview{} }, tokenReview(authn)),
		reviewEntry("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview",
			func() runtime.Object { return &authenticationv1.SelfSubjectReview{} }, selfSubjectReview),
		reviewEntry("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "selfsubjectaccessreview",
			func() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }, selfSubjectAccessReview(authz)),
		reviewEntry("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", "subjectaccessreview",
			func() runtime.Object { return &authorizationv1.SubjectAccessReview{} }, subjectAccessReview(authz)),
	}
}

func reviewEntry(group, kind, plural, singular string, newObj func() runtime.Object, review reviewFunc) *registry.Entry {
	res := &registry.Resource{
		Group: group, Version: "v1", Kind: kind, Plural: plural, Singular: singular,
		Verbs: []string{"create"}, New: newObj,
	}
	return &registry.Entry{Resource: res, Store: &reviewStore{gr: schema.GroupResource{Group: group, Resource: plural}, review: review}}
}

// reviewFunc fills in a review's status from the request's context.
type reviewFunc func(ctx context.Context, obj runtime.Object) (runtime.Object, error)

// reviewStore serves create only, as kube's review REST storage.
type reviewStore struct {
	gr     schema.GroupResource
	review reviewFunc
}

var _ registry.Store = (*reviewStore)(nil)

func (s *reviewStore) Create(ctx context.Context, _ string, obj runtime.Object, _ registry.Admission, _ *metav1.CreateOptions) (runtime.Object, error) {
	return s.review(ctx, obj)
}

func (s *reviewStore) Get(context.Context, string, string, *metav1.GetOptions) (runtime.Object, error) {
	return nil, apierrors.NewMethodNotSupported(s.gr, "get")
}

func (s *reviewStore) List(context.Context, string, *metav1.ListOptions) (runtime.Object, error) {
	return nil, apierrors.NewMethodNotSupported(s.gr, "list")
}

func (s *reviewStore) Watch(context.Context, string, *metav1.ListOptions) (storage.Watcher, error) {
	return nil, apierrors.NewMethodNotSupported(s.gr, "watch")
}

func (s *reviewStore) Update(context.Context, string, string, string, registry.UpdateFunc, registry.Admission, bool, *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return nil, false, apierrors.NewMethodNotSupported(s.gr, "update")
}

func (s *reviewStore) Delete(context.Context, string, string, registry.Admission, *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return nil, false, apierrors.NewMethodNotSupported(s.gr, "delete")
}

func (s *reviewStore) DeleteCollection(context.Context, string, registry.Admission, *metav1.DeleteOptions, *metav1.ListOptions) (runtime.Object, error) {
	return nil, apierrors.NewMethodNotSupported(s.gr, "deletecollection")
}

// tokenReview answers whom a bearer token authenticates, as kube's TokenReview REST storage.
func tokenReview(authn tokenAuthenticator) reviewFunc {
	return func(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
		review, ok := obj.(*authenticationv1.TokenReview)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenReview: %T", obj))
		}
		if review.Spec.Token == "" {
			return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
		}
		user, ok, err := authn.AuthenticateToken(ctx, review.Spec.Token)
		review.Status = authenticationv1.TokenReviewStatus{Authenticated: ok}
		if err != nil {
			review.Status.Error = err.Error()
		}
		if ok && user != nil {
			review.Status.User = authenticationv1.UserInfo{Username: user.Username, UID: user.UID, Groups: user.Groups}
			for k, v := range user.Extra {
				if review.Status.User.Extra == nil {
					review.Status.User.Extra = map[string]authenticationv1.ExtraValue{}
				}
				review.Status.User.Extra[k] = v
			}
		}
		// The token is a secret: it is not echoed back.
		review.Spec.Token = ""
		return review, nil
	}
}

// selfSubjectReview answers who the requester is.
func selfSubjectReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review, ok := obj.(*authenticationv1.SelfSubjectReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %T", obj))
	}
	user, ok := request.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	review.Status.UserInfo = authenticationv1.UserInfo{Username: user.Username, UID: user.UID, Groups: user.Groups}
	if len(user.Extra) > 0 {
		review.Status.UserInfo.Extra = map[string]authenticationv1.ExtraValue{}
		for k, v := range user.Extra {
			review.Status.UserInfo.Extra[k] = v
		}
	}
	return review, nil
}

// selfSubjectAccessReview answers whether the requester may do what the spec describes.
func selfSubjectAccessReview(authz abi.Authorizer) reviewFunc {
	return func(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
		review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %T", obj))
		}
		if errs := validateAttributes(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes); len(errs) > 0 {
			return nil, apierrors.NewInvalid(schema.GroupKind{Group: authorizationv1.GroupName, Kind: "SelfSubjectAccessReview"}, "", errs)
		}
		user, ok := request.UserFrom(ctx)
		if !ok {
			return nil, apierrors.NewBadRequest("no user present on request")
		}
		spec := abi.SubjectAccessReviewSpec{User: user.Username, Groups: user.Groups, Extra: user.Extra, UID: user.UID}
		review.Status = decide(ctx, authz, spec, review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes)
		return review, nil
	}
}

// subjectAccessReview answers whether the user the spec names may do what it describes.
func subjectAccessReview(authz abi.Authorizer) reviewFunc {
	return func(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
		review, ok := obj.(*authorizationv1.SubjectAccessReview)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SubjectAccessReview: %T", obj))
		}
		errs := validateAttributes(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes)
		if review.Spec.User == "" && len(review.Spec.Groups) == 0 {
			errs = append(errs, field.Invalid(field.NewPath("spec", "user"), review.Spec.User, "at least one of user or group must be specified"))
		}
		if len(errs) > 0 {
			return nil, apierrors.NewInvalid(schema.GroupKind{Group: authorizationv1.GroupName, Kind: "SubjectAccessReview"}, "", errs)
		}
		spec := abi.SubjectAccessReviewSpec{User: review.Spec.User, Groups: review.Spec.Groups, UID: review.Spec.UID}
		if len(review.Spec.Extra) > 0 {
			spec.Extra = map[string][]string{}
			for k, v := range review.Spec.Extra {
				spec.Extra[k] = v
			}
		}
		review.Status = decide(ctx, authz, spec, review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes)
		return review, nil
	}
}

// validateAttributes checks that exactly one kind of attributes is given, as kube's validation.
func validateAttributes(res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) field.ErrorList {
	if (res == nil) == (nonRes == nil) {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "resourceAttributes"), res,
			"exactly one of nonResourceAttributes or resourceAttributes must be specified")}
	}
	return nil
}

// decide runs the authorizer on the attributes; an error is reported as evaluationError.
func decide(ctx context.Context, authz abi.Authorizer, spec abi.SubjectAccessReviewSpec, res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) authorizationv1.SubjectAccessReviewStatus {
	if res != nil {
		spec.ResourceAttributes = &abi.ResourceAttributes{
			Namespace: res.Namespace, Verb: res.Verb, Group: res.Group, Version: res.Version,
			Resource: res.Resource, Subresource: res.Subresource, Name: res.Name,
		}
	} else {
		spec.NonResourceAttributes = &abi.NonResourceAttributes{Path: nonRes.Path, Verb: nonRes.Verb}
	}
	st, err := authz.Authorize(ctx, abi.NewSubjectAccessReview(spec))
	out := authorizationv1.SubjectAccessReviewStatus{Allowed: st.Allowed, Denied: st.Denied, Reason: st.Reason}
	if err != nil {
		out.EvaluationError = err.Error()
	}
	return out
}
