package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
)

// remainingContent is what still holds a terminating namespace: objects per resource, and
// objects per finalizer.
type remainingContent struct {
	resources  map[string]int // "configmaps." (resource.group) -> count
	finalizers map[string]int
}

// countRemaining lists what is left in a namespace after its content was deleted.
func (c *namespaceController) countRemaining(ctx context.Context, ns string) (remainingContent, error) {
	left := remainingContent{resources: map[string]int{}, finalizers: map[string]int{}}
	for _, e := range c.reg.Entries() {
		if !e.Resource.Namespaced || !hasVerb(e.Resource, "list") || !hasVerb(e.Resource, "delete") {
			continue
		}
		list, err := e.Store.List(ctx, ns, &metav1.ListOptions{})
		if err != nil {
			return left, fmt.Errorf("listing %s in %s: %w", e.Resource.Plural, ns, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return left, err
		}
		for _, obj := range items {
			m, err := meta.Accessor(obj)
			if err != nil {
				continue
			}
			left.resources[e.Resource.Plural+"."+e.Resource.Group]++
			for _, f := range m.GetFinalizers() {
				left.finalizers[f]++
			}
		}
	}
	return left, nil
}

// terminationConditions are the conditions kube's namespace controller reports on a namespace
// it is emptying, with its reasons and messages.
func terminationConditions(left remainingContent) []corev1.NamespaceCondition {
	conds := []corev1.NamespaceCondition{
		{Type: corev1.NamespaceDeletionDiscoveryFailure, Status: corev1.ConditionFalse, Reason: "ResourcesDiscovered", Message: "All resources successfully discovered"},
		{Type: corev1.NamespaceDeletionGVParsingFailure, Status: corev1.ConditionFalse, Reason: "ParsedGroupVersions", Message: "All legacy kube types successfully parsed"},
		{Type: corev1.NamespaceDeletionContentFailure, Status: corev1.ConditionFalse, Reason: "ContentDeleted", Message: "All content successfully deleted, may be waiting on finalization"},
	}
	if len(left.resources) > 0 {
		var parts []string
		for r, n := range left.resources {
			parts = append(parts, fmt.Sprintf("%s has %d resource instances", r, n))
		}
		sort.Strings(parts)
		conds = append(conds, corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue, Reason: "SomeResourcesRemain",
			Message: "Some resources are remaining: " + strings.Join(parts, ", ")})
	} else {
		conds = append(conds, corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionFalse, Reason: "ContentRemoved", Message: "All content successfully removed"})
	}
	if len(left.finalizers) > 0 {
		var parts []string
		for f, n := range left.finalizers {
			parts = append(parts, fmt.Sprintf("%s in %d resource instances", f, n))
		}
		sort.Strings(parts)
		conds = append(conds, corev1.NamespaceCondition{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue, Reason: "SomeFinalizersRemain",
			Message: "Some content in the namespace has finalizers remaining: " + strings.Join(parts, ", ")})
	} else {
		conds = append(conds, corev1.NamespaceCondition{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionFalse, Reason: "ContentHasNoFinalizers", Message: "All content-preserving finalizers finished"})
	}
	return conds
}

// reportConditions writes the termination conditions through namespaces/status, keeping each
// condition's transition time while its status does not change, and writing nothing when
// nothing changed.
func (c *namespaceController) reportConditions(ctx context.Context, nsEntry *registry.Entry, name string, left remainingContent) error {
	want := terminationConditions(left)
	_, _, err := nsEntry.Store.Update(ctx, "", name, "status", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		ns, ok := current.(*corev1.Namespace)
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		ns = ns.DeepCopy()
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		for _, w := range want {
			ns.Status.Conditions = setCondition(ns.Status.Conditions, w, now)
		}
		return ns, nil
	}, registry.Admission{}, false, &metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func setCondition(conds []corev1.NamespaceCondition, want corev1.NamespaceCondition, now metav1.Time) []corev1.NamespaceCondition {
	for i := range conds {
		if conds[i].Type != want.Type {
			continue
		}
		if conds[i].Status != want.Status {
			conds[i].LastTransitionTime = now
		}
		conds[i].Status, conds[i].Reason, conds[i].Message = want.Status, want.Reason, want.Message
		return conds
	}
	want.LastTransitionTime = now
	return append(conds, want)
}
