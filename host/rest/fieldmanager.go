package rest

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/openapi"
)

// fieldManagers builds and keeps the field managers of server-side apply, per kind and
// subresource. The type converter they share is built from the registry's OpenAPI schemas on
// first use and rebuilt after the registry changes (a custom resource added or removed).
type fieldManagers struct {
	reg *registry.Registry

	mu        sync.Mutex
	converter managedfields.TypeConverter
	managers  map[fieldManagerKey]*kindFieldManagers
}

type fieldManagerKey struct {
	gvk         schema.GroupVersionKind
	subresource string
}

// kindFieldManagers are one kind's two field managers. They differ only in their type
// converter: kube uses kube's as it is, for applies and for the writes tracking cannot take;
// tracking, which records the other writes, uses a trackingConverter, which reaches the same
// managed fields with less work (see its doc).
type kindFieldManagers struct {
	kube, tracking *managedfields.FieldManager
}

// forUpdate is the field manager that records a non-apply write from live to next: the
// tracking one when its converter may leave their managed fields out, else kube's.
func (m *kindFieldManagers) forUpdate(live, next runtime.Object) *managedfields.FieldManager {
	if managedFieldsPlain(live) && managedFieldsPlain(next) {
		return m.tracking
	}
	return m.kube
}

func newFieldManagers(reg *registry.Registry) *fieldManagers {
	f := &fieldManagers{reg: reg}
	reg.OnChange(f.reset)
	return f
}

// reset forgets the converter and managers; the next write rebuilds them.
func (f *fieldManagers) reset() {
	f.mu.Lock()
	f.converter, f.managers = nil, nil
	f.mu.Unlock()
}

// get returns the field managers for the scope's kind and subresource.
func (f *fieldManagers) get(s *scope) (*kindFieldManagers, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fieldManagerKey{gvk: s.kind, subresource: s.info.Subresource}
	if m := f.managers[key]; m != nil {
		return m, nil
	}
	if f.converter == nil {
		c, err := managedfields.NewTypeConverter(openapi.Schemas(f.reg.Entries()), false)
		if err != nil {
			return nil, fmt.Errorf("building server-side apply's type converter: %w", err)
		}
		f.converter = c
		f.managers = map[fieldManagerKey]*kindFieldManagers{}
	}
	conv := versionConverter{newObj: s.newObj}
	_, crd := s.newObj().(*unstructured.Unstructured)
	build := func(tc managedfields.TypeConverter) (*managedfields.FieldManager, error) {
		if crd {
			return managedfields.NewDefaultCRDFieldManager(tc, conv, conv, conv, s.kind, s.kind.GroupVersion(), s.info.Subresource, nil)
		}
		return managedfields.NewDefaultFieldManager(tc, conv, conv, conv, s.kind, s.kind.GroupVersion(), s.info.Subresource, nil)
	}
	kube, err := build(f.converter)
	if err != nil {
		return nil, fmt.Errorf("building the field manager for %s: %w", s.kind, err)
	}
	tc, err := newTrackingConverter(f.converter, s.kind, s.newObj)
	if err != nil {
		return nil, fmt.Errorf("building the field manager for %s: %w", s.kind, err)
	}
	tracking, err := build(tc)
	if err != nil {
		return nil, fmt.Errorf("building the field manager for %s: %w", s.kind, err)
	}
	m := &kindFieldManagers{kube: kube, tracking: tracking}
	f.managers[key] = m
	return m, nil
}

// versionConverter is the object converter, defaulter and creater a field manager needs for a
// resource served in one version: it only moves objects between their unstructured and typed
// forms. Defaulting is the strategy's job, later in the store.
type versionConverter struct {
	newObj func() runtime.Object
}

func (c versionConverter) Convert(in, out, context interface{}) error {
	return errors.New("conversion between versions is not supported")
}

// ConvertToVersion returns in as the resource's own type (typed for built-ins).
func (c versionConverter) ConvertToVersion(in runtime.Object, gv runtime.GroupVersioner) (runtime.Object, error) {
	u, ok := in.(*unstructured.Unstructured)
	if !ok {
		return in, nil
	}
	out := c.newObj()
	if _, ok := out.(*unstructured.Unstructured); ok {
		return in, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		return nil, fmt.Errorf("converting %s to %T: %w", u.GroupVersionKind(), out, err)
	}
	out.GetObjectKind().SetGroupVersionKind(u.GroupVersionKind())
	return out, nil
}

func (c versionConverter) ConvertFieldLabel(gvk schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

// Default does nothing: the store's strategy defaults objects.
func (c versionConverter) Default(runtime.Object) {}

// New makes an empty object of the resource's type.
func (c versionConverter) New(gvk schema.GroupVersionKind) (runtime.Object, error) {
	obj := c.newObj()
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}
