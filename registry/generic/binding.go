package generic

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// BindingStore serves pods/binding: creating a Binding assigns a pod to a node (what the
// scheduler does). It writes the pod directly in storage, as kube's binding REST does, because
// spec.nodeName is otherwise immutable. Only create is supported; the rest is 405.
type BindingStore struct {
	pods *Store
}

var _ registry.Store = (*BindingStore)(nil)

// NewBindingStore returns the binding subresource store of the pods store.
func NewBindingStore(pods *Store) *BindingStore {
	return &BindingStore{pods: pods}
}

var bindingGR = schema.GroupResource{Resource: "pods/binding"}

// Create binds the pod the Binding names to its target node: 409 Conflict when the pod is
// already bound or being deleted, 404 when it does not exist, 422 for a binding without a
// node. It answers Status Success, as kube does.
func (b *BindingStore) Create(ctx context.Context, namespace string, obj runtime.Object, admission registry.Admission, opts *metav1.CreateOptions) (runtime.Object, error) {
	if opts == nil {
		opts = &metav1.CreateOptions{}
	}
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding object: %T", obj))
	}
	if binding.Namespace == "" {
		binding.Namespace = namespace
	}
	if binding.Namespace != namespace {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if errs := validateBinding(binding); len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Kind: "Binding"}, binding.Name, errs)
	}
	if admission.Validate != nil {
		if err := admission.Validate(ctx, binding, nil); err != nil {
			return nil, err
		}
	}
	key, err := b.pods.objectKey(namespace, binding.Name)
	if err != nil {
		return nil, err
	}
	var preconditions *storage.Preconditions
	if binding.UID != "" {
		uid := string(binding.UID)
		preconditions = &storage.Preconditions{UID: &uid}
	}
	assign := func(current runtime.Object) (runtime.Object, error) {
		pod, ok := current.(*corev1.Pod)
		if !ok {
			return nil, apierrors.NewInternalError(fmt.Errorf("pods store holds %T", current))
		}
		if pod.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(bindingGR, binding.Name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name))
		}
		if pod.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(bindingGR, binding.Name, fmt.Errorf("pod %s is already assigned to node %q", pod.Name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = binding.Target.Name
		for k, v := range binding.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		setPodScheduled(pod, metav1.NewTime(b.pods.deps.Now().Truncate(time.Second)))
		return pod, nil
	}
	if isDryRun(opts.DryRun) {
		current, err := b.pods.storage.Get(ctx, key, storage.GetOptions{})
		if err != nil {
			return nil, b.pods.statusError(err, binding.Name, "")
		}
		if _, err := assign(current); err != nil {
			return nil, err
		}
	} else if _, err := b.pods.storage.GuaranteedUpdate(ctx, key, preconditions, false, assign); err != nil {
		return nil, b.pods.statusError(err, binding.Name, "")
	}
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Code:     201,
	}, nil
}

// setPodScheduled sets the PodScheduled condition to True, as binding a pod does in kube.
func setPodScheduled(pod *corev1.Pod, now metav1.Time) {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodScheduled {
			if pod.Status.Conditions[i].Status != corev1.ConditionTrue {
				pod.Status.Conditions[i].Status = corev1.ConditionTrue
				pod.Status.Conditions[i].LastTransitionTime = now
			}
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now,
	})
}

// validateBinding is kube's ValidatePodBinding.
func validateBinding(b *corev1.Binding) field.ErrorList {
	var errs field.ErrorList
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if b.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	return errs
}

func (b *BindingStore) notSupported(verb string) error {
	return apierrors.NewMethodNotSupported(bindingGR, verb)
}

// Get is not supported on binding.
func (b *BindingStore) Get(context.Context, string, string, *metav1.GetOptions) (runtime.Object, error) {
	return nil, b.notSupported("get")
}

// List is not supported on binding.
func (b *BindingStore) List(context.Context, string, *metav1.ListOptions) (runtime.Object, error) {
	return nil, b.notSupported("list")
}

// Watch is not supported on binding.
func (b *BindingStore) Watch(context.Context, string, *metav1.ListOptions) (storage.Watcher, error) {
	return nil, b.notSupported("watch")
}

// Update is not supported on binding.
func (b *BindingStore) Update(context.Context, string, string, string, registry.UpdateFunc, registry.Admission, bool, *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return nil, false, b.notSupported("update")
}

// Delete is not supported on binding.
func (b *BindingStore) Delete(context.Context, string, string, registry.Admission, *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return nil, false, b.notSupported("delete")
}

// DeleteCollection is not supported on binding.
func (b *BindingStore) DeleteCollection(context.Context, string, registry.Admission, *metav1.DeleteOptions, *metav1.ListOptions) (runtime.Object, error) {
	return nil, b.notSupported("deletecollection")
}
