package server

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/registry"
)

// registryReader is the pluginapi.ObjectReader plugins read objects through: the registry's
// stores, served from the watch cache (resourceVersion "0"). Capability checks happen before it is
// called (pluginapi.NewHostServices).
type registryReader struct {
	reg *registry.Registry
}

var _ pluginapi.ObjectReader = registryReader{}

func (rr registryReader) entry(resource abi.GroupVersionResource) (*registry.Entry, error) {
	e := rr.reg.Get(schema.GroupVersionResource{Group: resource.Group, Version: resource.Version, Resource: resource.Resource})
	if e == nil {
		return nil, &abi.HostError{Code: abi.HostErrNotFound, Message: fmt.Sprintf("the server does not serve %s/%s %s", resource.Group, resource.Version, resource.Resource)}
	}
	return e, nil
}

// Get returns one object as JSON.
func (rr registryReader) Get(ctx context.Context, resource abi.GroupVersionResource, namespace, name string) ([]byte, error) {
	e, err := rr.entry(resource)
	if err != nil {
		return nil, err
	}
	obj, err := e.Store.Get(ctx, namespace, name, &metav1.GetOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, hostError(err)
	}
	return encodeWithKind(obj, e.Resource.GroupVersionKind())
}

// List returns a list object as JSON, filtered by a label selector.
func (rr registryReader) List(ctx context.Context, resource abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error) {
	e, err := rr.entry(resource)
	if err != nil {
		return nil, err
	}
	if _, err := labels.Parse(labelSelector); err != nil {
		return nil, &abi.HostError{Code: abi.HostErrBadRequest, Message: fmt.Sprintf("label selector %q: %v", labelSelector, err)}
	}
	list, err := e.Store.List(ctx, namespace, &metav1.ListOptions{ResourceVersion: "0", LabelSelector: labelSelector})
	if err != nil {
		return nil, hostError(err)
	}
	gvk := e.Resource.GroupVersionKind()
	gvk.Kind += "List"
	return encodeWithKind(list, gvk)
}

// encodeWithKind writes obj as JSON with apiVersion and kind set. The object may be shared with
// the watch cache, so it is copied before its kind is set.
func encodeWithKind(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	if obj.GetObjectKind().GroupVersionKind() != gvk {
		obj = obj.DeepCopyObject()
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, &abi.HostError{Code: abi.HostErrInternal, Message: fmt.Sprintf("encoding %s: %v", gvk.Kind, err)}
	}
	return data, nil
}

// hostError classifies a store error for the ABI.
func hostError(err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return abi.ErrNotFound
	case apierrors.IsBadRequest(err) || apierrors.IsInvalid(err):
		return &abi.HostError{Code: abi.HostErrBadRequest, Message: err.Error()}
	}
	return &abi.HostError{Code: abi.HostErrInternal, Message: err.Error()}
}
