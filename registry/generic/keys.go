package generic

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation/path"

	"github.com/kapi-dev/kapi/registry"
)

// KeyPrefix is the storage key below which a resource's objects live, with a trailing slash:
// "/configmaps/" for core resources, "/apps/deployments/" for others. It is the resourcePrefix a
// watch cache in front of the resource's storage needs.
func KeyPrefix(res *registry.Resource) string {
	if res.Group == "" {
		return "/" + res.Plural + "/"
	}
	return "/" + res.Group + "/" + res.Plural + "/"
}

// objectKey is the key of one object. Names and namespaces that would escape their path
// segment are a bad request, as kube's key functions answer.
func (s *Store) objectKey(namespace, name string) (string, error) {
	if name == "" {
		return "", apierrors.NewBadRequest("Name parameter required.")
	}
	if msgs := path.IsValidPathSegmentName(name); len(msgs) > 0 {
		return "", apierrors.NewBadRequest(fmt.Sprintf("Name parameter invalid: %q: %s", name, strings.Join(msgs, ";")))
	}
	if !s.res.Namespaced {
		return s.prefix + name, nil
	}
	if namespace == "" {
		return "", apierrors.NewBadRequest("Namespace parameter required.")
	}
	if msgs := path.IsValidPathSegmentName(namespace); len(msgs) > 0 {
		return "", apierrors.NewBadRequest(fmt.Sprintf("Namespace parameter invalid: %q: %s", namespace, strings.Join(msgs, ";")))
	}
	return s.prefix + namespace + "/" + name, nil
}

// listKey is the key prefix a list or watch reads: one namespace's objects, or all of them.
func (s *Store) listKey(namespace string) (string, error) {
	if !s.res.Namespaced || namespace == "" {
		return s.prefix, nil
	}
	if msgs := path.IsValidPathSegmentName(namespace); len(msgs) > 0 {
		return "", apierrors.NewBadRequest(fmt.Sprintf("Namespace parameter invalid: %q: %s", namespace, strings.Join(msgs, ";")))
	}
	return s.prefix + namespace + "/", nil
}
