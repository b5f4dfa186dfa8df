package generic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Name generation as kube's SimpleNameGenerator: five characters from an alphabet without
// vowels or look-alikes, appended to a prefix cut to fit a 63-character name.
const (
	nameAlphabet          = "bcdfghjklmnpqrstvwxz2456789"
	generatedSuffixLength = 5
	maxGeneratedPrefix    = 63 - generatedSuffixLength
	// maxNameGenerationAttempts is how often a create retries a generated name that is taken,
	// as kube's store does.
	maxNameGenerationAttempts = 8
)

func generateName(base string) string {
	if len(base) > maxGeneratedPrefix {
		base = base[:maxGeneratedPrefix]
	}
	b := make([]byte, generatedSuffixLength)
	for i := range b {
		b[i] = nameAlphabet[rand.IntN(len(nameAlphabet))]
	}
	return base + string(b)
}

// Create stores a new object: kube's BeforeCreate (namespace, system fields, the strategy's
// preparation), the storage's BeginCreate, validation, the namespace lifecycle check,
// validating admission, then storage (admitCreate). A generated name that is already taken is
// retried with a new one.
func (s *Store) Create(ctx context.Context, namespace string, obj runtime.Object, admission registry.Admission, opts *metav1.CreateOptions) (runtime.Object, error) {
	if opts == nil {
		opts = &metav1.CreateOptions{}
	}
	a, err := accessor(obj)
	if err != nil {
		return nil, err
	}
	generated := a.GetName() == "" && a.GetGenerateName() != ""
	for attempt := 1; ; attempt++ {
		candidate := obj
		if generated {
			// Each attempt starts from the client's object, so nothing of a failed attempt leaks.
			candidate = obj.DeepCopyObject()
		}
		out, err := s.createOnce(ctx, namespace, candidate, admission, opts)
		if err == nil || !generated || !apierrors.IsAlreadyExists(err) {
			return out, err
		}
		if attempt == maxNameGenerationAttempts {
			// kube answers a name generator that keeps colliding with a server timeout, so
			// that clients retry.
			return nil, apierrors.NewServerTimeoutForKind(s.groupKind(), "POST", 0)
		}
	}
}

func (s *Store) createOnce(ctx context.Context, namespace string, obj runtime.Object, admission registry.Admission, opts *metav1.CreateOptions) (runtime.Object, error) {
	dryRun := isDryRun(opts.DryRun)
	finish, err := s.admitCreate(ctx, namespace, obj, admission, dryRun)
	if err != nil {
		return nil, err
	}
	stored := false
	defer func() { finish(ctx, stored) }()
	a, _ := accessor(obj)
	key, err := s.objectKey(a.GetNamespace(), a.GetName())
	if err != nil {
		return nil, err
	}
	if dryRun {
		// A dry run answers what a create would have answered, including a name taken.
		if _, err := s.storage.Get(ctx, key, storage.GetOptions{}); err == nil {
			return nil, apierrors.NewAlreadyExists(s.groupResource(), a.GetName())
		} else if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
			return nil, s.statusError(err, a.GetName(), "")
		}
		return s.typed(obj), nil
	}
	out, err := s.storage.Create(ctx, key, obj)
	if err != nil {
		err = s.statusError(err, a.GetName(), "")
		if apierrors.IsAlreadyExists(err) {
			s.noteBeingDeleted(ctx, key, err)
		}
		return nil, err
	}
	stored = true
	return s.typed(out), nil
}

// admitCreate takes a new object to the point where it can be stored: kube's BeforeCreate
// preparation (prepareCreate), the storage's BeginCreate, the strategy's validation, the
// namespace lifecycle check and validating admission. The begin comes after the preparation
// because the strategy applies the defaults that an allocation depends on, and before
// validation and admission because they must see the object as it will be stored (a service
// with its cluster IP), as in kube. The caller must call finish once the write is decided;
// when admitCreate fails it has done so itself.
func (s *Store) admitCreate(ctx context.Context, namespace string, obj runtime.Object, admission registry.Admission, dryRun bool) (FinishFunc, error) {
	if err := s.prepareCreate(ctx, namespace, obj); err != nil {
		return nil, err
	}
	finish, err := s.beginCreate(ctx, obj, dryRun)
	if err != nil {
		return nil, err
	}
	if err := s.validateCreate(ctx, obj, admission); err != nil {
		finish(ctx, false)
		return nil, err
	}
	return finish, nil
}

// validateCreate is the strategy's validation, the namespace lifecycle check and validating
// admission of a new object.
func (s *Store) validateCreate(ctx context.Context, obj runtime.Object, admission registry.Admission) error {
	a, _ := accessor(obj)
	if errs := s.strategy.Validate(ctx, obj); len(errs) > 0 {
		return apierrors.NewInvalid(s.groupKind(), a.GetName(), errs)
	}
	if err := s.checkNamespaceAcceptsCreate(ctx, a.GetNamespace(), a.GetName()); err != nil {
		return err
	}
	if admission.Validate != nil {
		return admission.Validate(ctx, obj, nil)
	}
	return nil
}

// prepareCreate is kube's rest.BeforeCreate up to validation: the request's namespace, the
// system fields, the strategy's preparation.
func (s *Store) prepareCreate(ctx context.Context, namespace string, obj runtime.Object) error {
	a, err := accessor(obj)
	if err != nil {
		return err
	}
	if s.res.Namespaced {
		if a.GetNamespace() == "" {
			a.SetNamespace(namespace)
		}
		if namespace == "" {
			return apierrors.NewBadRequest("Namespace parameter required.")
		}
		if a.GetNamespace() != namespace {
			return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	} else {
		a.SetNamespace("")
	}
	if a.GetResourceVersion() != "" {
		// kube's storage refuses this with a plain error, which its handler answers as a 500
		// with no reason (kubectl prints "Error from server: ...").
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    500,
			Reason:  metav1.StatusReasonUnknown,
			Message: "resourceVersion should not be set on objects to be created",
		}}
	}
	a.SetDeletionTimestamp(nil)
	a.SetDeletionGracePeriodSeconds(nil)
	a.SetSelfLink("")
	// Name and system fields come before the strategy, as kube fills them before BeforeCreate:
	// strategies use them (a job's generated selector carries its uid, a namespace's
	// kubernetes.io/metadata.name label its name).
	if a.GetName() == "" && a.GetGenerateName() != "" {
		a.SetName(s.generateName(a.GetGenerateName()))
	}
	a.SetCreationTimestamp(metav1.NewTime(s.deps.Now().Truncate(time.Second)))
	a.SetUID(s.deps.NewUID())
	s.strategy.PrepareForCreate(ctx, obj)
	return nil
}

// checkNamespaceAcceptsCreate is kube's NamespaceLifecycle admission for creates: the namespace
// must exist and must not be terminating.
func (s *Store) checkNamespaceAcceptsCreate(ctx context.Context, namespace, name string) error {
	if !s.res.Namespaced || s.deps.Namespace == nil {
		return nil
	}
	ns, err := s.deps.Namespace(ctx, namespace)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return apierrors.NewNotFound(corev1.Resource("namespaces"), namespace)
		}
		return err
	}
	if ns.Status.Phase != corev1.NamespaceTerminating && ns.DeletionTimestamp == nil {
		return nil
	}
	msg := fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", namespace)
	forbidden := apierrors.NewForbidden(s.groupResource(), name, errors.New(msg))
	forbidden.ErrStatus.Details.Causes = append(forbidden.ErrStatus.Details.Causes, metav1.StatusCause{
		Type:    corev1.NamespaceTerminatingCause,
		Message: msg,
		Field:   "metadata.namespace",
	})
	return forbidden
}

// noteBeingDeleted prefixes an AlreadyExists message with "object is being deleted: " when the
// object in the way is waiting for its finalizers, as kube does, so a client knows why.
func (s *Store) noteBeingDeleted(ctx context.Context, key string, err error) {
	existing, getErr := s.storage.Get(ctx, key, storage.GetOptions{})
	if getErr != nil {
		return
	}
	a, aErr := accessor(existing)
	if aErr != nil || a.GetDeletionTimestamp() == nil {
		return
	}
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		se.ErrStatus.Message = "object is being deleted: " + se.ErrStatus.Message
	}
}
