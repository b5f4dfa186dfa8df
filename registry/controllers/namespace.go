package controllers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
)

// namespaceController empties terminating namespaces, as kube's namespace controller: it
// deletes every namespaced object in the namespace, across every resource the registry serves
// (custom resources included), waits for objects held by finalizers, and then removes the
// "kubernetes" spec finalizer, which lets the namespace go.
type namespaceController struct {
	reg  *registry.Registry
	opts Options
	q    *queue
	// terminating holds the namespaces being emptied, so that a deletion inside one requeues it.
	terminating syncSet
}

func newNamespaceController(reg *registry.Registry, opts Options) *namespaceController {
	return &namespaceController{reg: reg, opts: opts, q: newQueue(), terminating: newSyncSet()}
}

func (c *namespaceController) queue() *queue { return c.q }

func (c *namespaceController) workers() int { return 4 }

func (c *namespaceController) observe(ev event) {
	if ev.entry.Resource.GroupVersionResource() == namespacesGVR {
		name := ev.meta.GetName()
		if ev.typ != watch.Deleted && ev.meta.GetDeletionTimestamp() != nil {
			c.terminating.add(name)
			c.q.add(name)
		} else {
			c.terminating.remove(name)
		}
		return
	}
	// An object leaving a terminating namespace may be the last one holding it.
	if ns := ev.meta.GetNamespace(); ns != "" && ev.typ == watch.Deleted && c.terminating.has(ns) {
		c.q.add(ns)
	}
}

func (c *namespaceController) resync() {
	for _, ns := range c.terminating.list() {
		c.q.add(ns)
	}
}

func (c *namespaceController) work(ctx context.Context, name string) error {
	nsEntry := c.reg.Get(namespacesGVR)
	if nsEntry == nil {
		return nil
	}
	obj, err := nsEntry.Store.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		c.terminating.remove(name)
		return nil
	}
	if err != nil {
		return err
	}
	ns, ok := obj.(*corev1.Namespace)
	if !ok || ns.DeletionTimestamp == nil {
		return nil
	}
	// Counted from the stored deletion time, so a restart does not wait again.
	if wait := time.Until(ns.DeletionTimestamp.Add(c.opts.NamespaceDeletionGracePeriod)); wait > 0 {
		c.q.addAfter(name, wait)
		return nil
	}
	if !hasKubernetesFinalizer(ns) {
		// Finalized already; a delete finishes it (it waits for metadata finalizers, if any).
		if len(ns.Finalizers) == 0 {
			_, _, err := nsEntry.Store.Delete(ctx, "", name, registry.Admission{}, &metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		return nil
	}
	remaining, err := c.deleteContent(ctx, name)
	if err != nil {
		return err
	}
	if remaining > 0 {
		// Finalizers hold some objects; say so on the namespace, as kube does. Their deletion
		// requeues the namespace, and so does this timer in case an event is missed.
		left, err := c.countRemaining(ctx, name)
		if err != nil {
			return err
		}
		if err := c.reportConditions(ctx, nsEntry, name, left); err != nil {
			return err
		}
		c.q.addAfter(name, c.opts.RetryDelay*5)
		return nil
	}
	return c.finalize(ctx, nsEntry, name)
}

// contentDeleters is how many deletes of one namespace's content run at once: etcd commits
// concurrent writes together, so a namespace of thousands of objects goes many times faster.
const contentDeleters = 8

// deleteContent deletes every namespaced object in ns with background propagation (as kube's
// namespace deleter does) and counts the objects that remain.
func (c *namespaceController) deleteContent(ctx context.Context, ns string) (int, error) {
	background := metav1.DeletePropagationBackground
	type item struct {
		entry *registry.Entry
		name  string
	}
	var (
		toDelete  []item
		remaining atomic.Int64
	)
	for _, e := range c.reg.Entries() {
		if !e.Resource.Namespaced || !hasVerb(e.Resource, "list") || !hasVerb(e.Resource, "delete") {
			continue
		}
		list, err := e.Store.List(ctx, ns, &metav1.ListOptions{})
		if err != nil {
			return 0, fmt.Errorf("listing %s in %s: %w", e.Resource.Plural, ns, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return 0, err
		}
		for _, obj := range items {
			m, err := meta.Accessor(obj)
			if err != nil {
				continue
			}
			remaining.Add(1)
			if m.GetDeletionTimestamp() == nil {
				toDelete = append(toDelete, item{e, m.GetName()})
			}
		}
	}
	work := make(chan item)
	errs := make(chan error, contentDeleters)
	var wg sync.WaitGroup
	for i := 0; i < min(contentDeleters, len(toDelete)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				_, deleted, err := it.entry.Store.Delete(ctx, ns, it.name, registry.Admission{}, &metav1.DeleteOptions{PropagationPolicy: &background})
				switch {
				case apierrors.IsNotFound(err) || (err == nil && deleted):
					remaining.Add(-1)
				case err != nil:
					select {
					case errs <- fmt.Errorf("deleting %s %s/%s: %w", it.entry.Resource.Plural, ns, it.name, err):
					default:
					}
				}
			}
		}()
	}
	for _, it := range toDelete {
		work <- it
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return int(remaining.Load()), nil
}

// finalize removes the "kubernetes" spec finalizer through namespaces/finalize.
func (c *namespaceController) finalize(ctx context.Context, nsEntry *registry.Entry, name string) error {
	store := nsEntry.Store
	if f := nsEntry.Subresources["finalize"]; f != nil {
		store = f
	}
	_, _, err := store.Update(ctx, "", name, "finalize", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		ns, ok := current.(*corev1.Namespace)
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		ns = ns.DeepCopy()
		var keep []corev1.FinalizerName
		for _, f := range ns.Spec.Finalizers {
			if f != corev1.FinalizerKubernetes {
				keep = append(keep, f)
			}
		}
		ns.Spec.Finalizers = keep
		return ns, nil
	}, registry.Admission{}, false, &metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func hasKubernetesFinalizer(ns *corev1.Namespace) bool {
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return true
		}
	}
	return false
}

func hasVerb(res *registry.Resource, verb string) bool {
	if len(res.Verbs) == 0 {
		return true
	}
	for _, v := range res.Verbs {
		if v == verb {
			return true
		}
	}
	return false
}
