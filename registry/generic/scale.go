package generic

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// ScaleStore serves the scale subresource: an autoscaling/v1 Scale view of deployments,
// replicasets, statefulsets and replicationcontrollers, read and written through the parent's
// store (so a scale write is an ordinary update of the parent: strategy, generation,
// validation). It supports get and update; everything else is 405 MethodNotSupported.
type ScaleStore struct {
	parent *Store
}

var _ registry.Store = (*ScaleStore)(nil)

// NewScaleStore returns the scale subresource store of parent.
func NewScaleStore(parent *Store) *ScaleStore {
	return &ScaleStore{parent: parent}
}

var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

func (s *ScaleStore) groupResource() schema.GroupResource {
	gr := s.parent.groupResource()
	gr.Resource += "/scale"
	return gr
}

// Get returns the parent's Scale.
func (s *ScaleStore) Get(ctx context.Context, namespace, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.parent.Get(ctx, namespace, name, opts)
	if err != nil {
		return nil, err
	}
	return scaleOf(obj)
}

// Update computes a new Scale from the current one and writes its replicas to the parent.
// A resourceVersion on the Scale must match the parent's (409 otherwise). Scale cannot create.
func (s *ScaleStore) Update(ctx context.Context, namespace, name, subresource string, update registry.UpdateFunc, admission registry.Admission, _ bool, opts *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if subresource != "" && subresource != "scale" {
		return nil, false, apierrors.NewNotFound(s.groupResource(), name)
	}
	var newScale *autoscalingv1.Scale
	out, _, err := s.parent.Update(ctx, namespace, name, "", func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(s.parent.groupResource(), name)
		}
		oldScale, err := scaleOf(current)
		if err != nil {
			return nil, err
		}
		obj, err := update(ctx, oldScale.DeepCopy())
		if err != nil {
			return nil, err
		}
		scale, ok := obj.(*autoscalingv1.Scale)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", obj))
		}
		if scale.Name != "" && scale.Name != name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", scale.Name, name))
		}
		if errs := validateScale(scale); len(errs) > 0 {
			return nil, apierrors.NewInvalid(scaleGVK.GroupKind(), name, errs)
		}
		if scale.ResourceVersion != "" && scale.ResourceVersion != oldScale.ResourceVersion {
			return nil, apierrors.NewConflict(s.groupResource(), name, errors.New(optimisticLockErrorMsg))
		}
		if admission.Validate != nil {
			if err := admission.Validate(ctx, scale, oldScale); err != nil {
				return nil, err
			}
		}
		next := current.DeepCopyObject()
		if err := setReplicas(next, scale.Spec.Replicas); err != nil {
			return nil, err
		}
		newScale = scale
		return next, nil
	}, registry.Admission{}, false, opts)
	if err != nil {
		return nil, false, err
	}
	if newScale == nil {
		return nil, false, apierrors.NewInternalError(errors.New("scale update did not run"))
	}
	result, err := scaleOf(out)
	return result, false, err
}

func validateScale(scale *autoscalingv1.Scale) field.ErrorList {
	var errs field.ErrorList
	if scale.Spec.Replicas < 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0"))
	}
	return errs
}

// scaleOf is the Scale view of a scalable object.
func scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	var (
		meta     metav1.ObjectMeta
		replicas int32
		status   int32
		selector *metav1.LabelSelector
	)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		meta, replicas, status, selector = o.ObjectMeta, deref(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *appsv1.ReplicaSet:
		meta, replicas, status, selector = o.ObjectMeta, deref(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *appsv1.StatefulSet:
		meta, replicas, status, selector = o.ObjectMeta, deref(o.Spec.Replicas), o.Status.Replicas, o.Spec.Selector
	case *corev1.ReplicationController:
		meta, replicas, status = o.ObjectMeta, deref(o.Spec.Replicas), o.Status.Replicas
		if o.Spec.Selector != nil {
			selector = &metav1.LabelSelector{MatchLabels: o.Spec.Selector}
		}
	default:
		return nil, apierrors.NewInternalError(fmt.Errorf("%T has no scale subresource", obj))
	}
	scale := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: scaleGVK.GroupVersion().String(), Kind: scaleGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name:              meta.Name,
			Namespace:         meta.Namespace,
			UID:               meta.UID,
			ResourceVersion:   meta.ResourceVersion,
			CreationTimestamp: meta.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: replicas},
		Status: autoscalingv1.ScaleStatus{Replicas: status},
	}
	if selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("converting the selector: %w", err))
		}
		scale.Status.Selector = sel.String()
	}
	return scale, nil
}

func setReplicas(obj runtime.Object, replicas int32) error {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		o.Spec.Replicas = &replicas
	case *appsv1.ReplicaSet:
		o.Spec.Replicas = &replicas
	case *appsv1.StatefulSet:
		o.Spec.Replicas = &replicas
	case *corev1.ReplicationController:
		o.Spec.Replicas = &replicas
	default:
		return apierrors.NewInternalError(fmt.Errorf("%T has no scale subresource", obj))
	}
	return nil
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func (s *ScaleStore) notSupported(verb string) error {
	return apierrors.NewMethodNotSupported(s.groupResource(), verb)
}

// List is not supported on scale.
func (s *ScaleStore) List(context.Context, string, *metav1.ListOptions) (runtime.Object, error) {
	return nil, s.notSupported("list")
}

// Watch is not supported on scale.
func (s *ScaleStore) Watch(context.Context, string, *metav1.ListOptions) (storage.Watcher, error) {
	return nil, s.notSupported("watch")
}

// Create is not supported on scale.
func (s *ScaleStore) Create(context.Context, string, runtime.Object, registry.Admission, *metav1.CreateOptions) (runtime.Object, error) {
	return nil, s.notSupported("create")
}

// Delete is not supported on scale.
func (s *ScaleStore) Delete(context.Context, string, string, registry.Admission, *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return nil, false, s.notSupported("delete")
}

// DeleteCollection is not supported on scale.
func (s *ScaleStore) DeleteCollection(context.Context, string, registry.Admission, *metav1.DeleteOptions, *metav1.ListOptions) (runtime.Object, error) {
	return nil, s.notSupported("deletecollection")
}
