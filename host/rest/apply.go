package rest

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/openapi"
)

// fieldManagers builds and keeps server-side apply's field managers, one per kind and
// subresource. The type converter they share is built from the registry's OpenAPI schemas on
// first use and rebuilt after the registry changes (a custom resource added or removed).
type fieldManagers struct {
	reg *registry.Registry

	mu        sync.Mutex
	converter managedfields.TypeConverter
	managers  map[fieldManagerKey]*managedfields.FieldManager
}

type fieldManagerKey struct {
	gvk         schema.GroupVersionKind
	subresource string
}

func newFieldManagers(reg *registry.Registry) *fieldManagers {
	f := &fieldManagers{reg: reg}
	reg.OnChange(f.reset)
	return f
}

// reset forgets the converter and managers; the next apply rebuilds them.
func (f *fieldManagers) reset() {
	f.mu.Lock()
	f.converter, f.managers = nil, nil
	f.mu.Unlock()
}

// get returns the field manager for the scope's kind and subresource.
func (f *fieldManagers) get(s *scope) (*managedfields.FieldManager, error) {
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
		f.managers = map[fieldManagerKey]*managedfields.FieldManager{}
	}
	conv := versionConverter{newObj: s.newObj}
	var m *managedfields.FieldManager
	var err error
	if _, ok := s.newObj().(*unstructured.Unstructured); ok {
		m, err = managedfields.NewDefaultCRDFieldManager(f.converter, conv, conv, conv, s.kind, s.kind.GroupVersion(), s.info.Subresource, nil)
	} else {
		m, err = managedfields.NewDefaultFieldManager(f.converter, conv, conv, conv, s.kind, s.kind.GroupVersion(), s.info.Subresource, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("building the field manager for %s: %w", s.kind, err)
	}
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

// parseApplyPatch reads an apply configuration (YAML or JSON), as kube: 400 when it does not
// parse.
func parseApplyPatch(data []byte) (*unstructured.Unstructured, error) {
	obj := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	return &unstructured.Unstructured{Object: obj}, nil
}

// applyTo merges an apply configuration into live (an empty object when there is none) for
// manager, as kube's applyPatcher.
func (s *scope) applyTo(live runtime.Object, patch *unstructured.Unstructured, manager string, force bool) (runtime.Object, error) {
	fm, err := s.h.fieldManagers.get(s)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	// The field manager may change what it is given; live may be shared with the watch cache.
	return fm.Apply(live.DeepCopyObject(), patch.DeepCopy(), manager, force)
}

// fieldManagerMaxLength is kube's limit on a field manager's name.
const fieldManagerMaxLength = 128

// managerName is the request's field manager: the fieldManager option, else the client's user
// agent up to its first "/", as kube's managerOrUserAgent.
func managerName(manager, userAgent string) string {
	if manager != "" {
		return manager
	}
	prefix, _, _ := strings.Cut(userAgent, "/")
	var b strings.Builder
	for _, r := range prefix {
		if !unicode.IsPrint(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > fieldManagerMaxLength {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// trackUpdate records in next's managedFields the fields this write changes from live (an empty
// object for a create), as kube does for every write that is not an apply, so that a later apply
// sees who owns what. It never fails the request: a field manager that cannot work resets the
// managed fields, as kube's UpdateNoErrors.
func (s *scope) trackUpdate(live, next runtime.Object, manager string) runtime.Object {
	fm, err := s.h.fieldManagers.get(s)
	if err != nil {
		slog.Error("server-side apply is unavailable; managed fields not tracked", "kind", s.kind.String(), "err", err)
		return next
	}
	if live == nil {
		live = s.newObj()
		live.GetObjectKind().SetGroupVersionKind(s.kind)
	} else {
		live = live.DeepCopyObject()
	}
	return fm.UpdateNoErrors(live, next, managerName(manager, s.r.UserAgent()))
}
