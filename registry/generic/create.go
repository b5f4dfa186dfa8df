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

// Create stores a new object: kube's BeforeCreate (namespace, system fields, strategy,
// validation), the namespace lifecycle check, validating admission, then storage. A generated
// name that is already taken is retried with a new one.
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
	if err := s.beforeCreate(ctx, namespace, obj); err != nil {
		return nil, err
	}
	a, _ := accessor(obj)
	if err := s.checkNamespaceAcceptsCreate(ctx, a.GetNamespace(), a.GetName()); err != nil {
		return nil, err
	}
	if admission.Validate != nil {
		if err := admission.Validate(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	key, err := s.objectKey(a.GetNamespace(), a.GetName())
	if err != nil {
		return nil, err
	}
	if isDryRun(opts.DryRun) {
		// A dry run answers what a create would have answered, including a name taken.
		if _, err := s.storage.Get(ctx, key, storage.GetOptions{}); err == nil {
			return nil, apierrors.NewAlreadyExists(s.groupResource(), a.GetName())
		} else if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
			return nil, s.statusError(err, a.GetName(), "")
		}
		if d, ok := s.storage.(DryRunner); ok {
			if err := d.DryRunCreate(ctx, key, obj); err != nil {
				return nil, s.statusError(err, a.GetName(), "")
			}
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
	return s.typed(out), nil
}

// beforeCreate is kube's rest.BeforeCreate: the request's namespace, the system fields, the
// strategy's preparation and validation.
func (s *Store) beforeCreate(ctx context.Context, namespace string, obj runtime.Object) error {
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
	if errs := s.strategy.Validate(ctx, obj); len(errs) > 0 {
		return apierrors.NewInvalid(s.groupKind(), a.GetName(), errs)
	}
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
