package rest

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

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
	fms, err := s.h.fieldManagers.get(s)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	// The field manager may change what it is given; live may be shared with the watch cache.
	return fms.kube.Apply(live.DeepCopyObject(), patch.DeepCopy(), manager, force)
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
	fms, err := s.h.fieldManagers.get(s)
	if err != nil {
		slog.Error("server-side apply is unavailable; managed fields not tracked", "kind", s.kind.String(), "err", err)
		return next
	}
	// live is the store's copy, given to the update function, or nothing for a create; the
	// field manager only reads it.
	if live == nil {
		live = s.newObj()
		live.GetObjectKind().SetGroupVersionKind(s.kind)
	}
	return fms.forUpdate(live, next).UpdateNoErrors(live, next, managerName(manager, s.r.UserAgent()))
}
