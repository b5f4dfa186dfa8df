package generic

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// NamespaceGetter returns a Deps.Namespace that reads namespaces through the registry's
// namespaces store, looked up on every call (so it works whatever order stores are added in).
//
// It reads as kube's NamespaceLifecycle admission does: from the watch cache (resourceVersion
// "0") first, and live from etcd when the cache cannot be trusted to give the answer a client
// that has just seen the namespace change expects: when the cache does not have the namespace
// (it may have been created a moment ago), when it has it terminating (it may have been
// re-created since), and for namespaces this server was asked to delete in the last
// forceLiveLookupTTL (the cache may still show them active). An active namespace in the cache
// is otherwise the answer, which saves an etcd round trip on every namespaced create.
func NamespaceGetter(reg *registry.Registry) func(ctx context.Context, name string) (*corev1.Namespace, error) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	return func(ctx context.Context, name string) (*corev1.Namespace, error) {
		e := reg.Get(gvr)
		if e == nil {
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		if st, ok := e.Store.(*Store); ok && !st.recentlyDeleted.has(name, st.deps.Now()) {
			if obj, err := e.Store.Get(ctx, "", name, &metav1.GetOptions{ResourceVersion: "0"}); err == nil {
				if ns, ok := obj.(*corev1.Namespace); ok && ns.Status.Phase != corev1.NamespaceTerminating && ns.DeletionTimestamp == nil {
					return ns, nil
				}
			}
		}
		obj, err := e.Store.Get(ctx, "", name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		ns, ok := obj.(*corev1.Namespace)
		if !ok {
			return nil, apierrors.NewInternalError(fmt.Errorf("namespaces store returned %T", obj))
		}
		return ns, nil
	}
}

// forceLiveLookupTTL is how long after a delete request the namespace is read live, kube's
// NamespaceLifecycle figure: long enough for any watch cache to have seen the delete.
const forceLiveLookupTTL = 30 * time.Second

// recentNames remembers names for forceLiveLookupTTL. The zero value is ready to use.
type recentNames struct {
	mu    sync.Mutex
	added map[string]time.Time
}

// add remembers name from now on, and forgets names older than the TTL.
func (r *recentNames) add(name string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.added == nil {
		r.added = map[string]time.Time{}
	}
	for n, at := range r.added {
		if now.Sub(at) >= forceLiveLookupTTL {
			delete(r.added, n)
		}
	}
	r.added[name] = now
}

// has reports whether name was added less than the TTL before now.
func (r *recentNames) has(name string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.added[name]
	return ok && now.Sub(at) < forceLiveLookupTTL
}

// deleteNamespace is kube's namespace REST delete. The first delete marks the namespace
// Terminating with a deletionTimestamp (and the orphan or foregroundDeletion finalizer the
// policy asks for) and leaves it: the namespace controller removes its content and then its
// "kubernetes" spec finalizer. A delete of a namespace that still has spec finalizers answers
// the namespace as it is; once they are gone, the delete is an ordinary one.
func (s *Store) deleteNamespace(ctx context.Context, name string, admission registry.Admission, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	key, err := s.objectKey("", name)
	if err != nil {
		return nil, false, err
	}
	// Before anything is written, so that no create can read the cache's stale "active" once
	// the namespace is terminating.
	s.recentlyDeleted.add(name, s.deps.Now())
	current, err := s.storage.Get(ctx, key, storage.GetOptions{})
	if err != nil {
		return nil, false, s.statusError(err, name, "")
	}
	ns, ok := current.(*corev1.Namespace)
	if !ok {
		return nil, false, apierrors.NewInternalError(fmt.Errorf("namespaces store holds %T", current))
	}
	if err := s.checkDeletePreconditions(current, opts); err != nil {
		return nil, false, err
	}
	if err := validatePropagation(opts); err != nil {
		return nil, false, err
	}
	if ns.DeletionTimestamp == nil {
		if admission.Validate != nil {
			if err := admission.Validate(ctx, nil, current); err != nil {
				return nil, false, err
			}
		}
		terminate := func(current runtime.Object) (runtime.Object, error) {
			ns := current.(*corev1.Namespace)
			if ns.DeletionTimestamp == nil {
				now := metav1.NewTime(s.deps.Now().Truncate(time.Second))
				ns.DeletionTimestamp = &now
			}
			ns.Status.Phase = corev1.NamespaceTerminating
			ns.Finalizers = namespaceGCFinalizers(ns.Finalizers, opts)
			return ns, nil
		}
		if isDryRun(opts.DryRun) {
			out, _ := terminate(current)
			return s.typed(out), false, nil
		}
		out, err := s.storage.GuaranteedUpdate(ctx, key, storagePreconditions(opts), false, terminate)
		if err != nil {
			return nil, false, s.statusError(err, name, "")
		}
		return s.typed(out), false, nil
	}
	if len(ns.Spec.Finalizers) > 0 {
		return s.typed(current), false, nil
	}
	return s.delete(ctx, "", name, admission, opts)
}

// namespaceGCFinalizers sets the orphan and foregroundDeletion finalizers on a namespace being
// deleted as kube's namespace REST does: only an explicit policy adds or removes them.
func namespaceGCFinalizers(finalizers []string, opts *metav1.DeleteOptions) []string {
	has := map[string]bool{}
	for _, f := range finalizers {
		has[f] = true
	}
	want := map[string]bool{
		metav1.FinalizerOrphanDependents: has[metav1.FinalizerOrphanDependents],
		metav1.FinalizerDeleteDependents: has[metav1.FinalizerDeleteDependents],
	}
	if opts.OrphanDependents != nil {
		want[metav1.FinalizerOrphanDependents] = *opts.OrphanDependents
		want[metav1.FinalizerDeleteDependents] = false
	} else if p := opts.PropagationPolicy; p != nil {
		want[metav1.FinalizerOrphanDependents] = *p == metav1.DeletePropagationOrphan
		want[metav1.FinalizerDeleteDependents] = *p == metav1.DeletePropagationForeground
	}
	var out []string
	for _, f := range finalizers {
		if _, gc := want[f]; !gc {
			out = append(out, f)
		}
	}
	for _, f := range []string{metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents} {
		if want[f] {
			out = append(out, f)
		}
	}
	return out
}

// prepareNamespaceFinalize keeps everything of old but the spec finalizers: what a write to
// namespaces/x/finalize may change.
func prepareNamespaceFinalize(obj, old runtime.Object) {
	ns, ok1 := obj.(*corev1.Namespace)
	prev, ok2 := old.(*corev1.Namespace)
	if !ok1 || !ok2 {
		return
	}
	finalizers := ns.Spec.Finalizers
	keep := prev.DeepCopy()
	keep.Spec.Finalizers = finalizers
	keep.ResourceVersion = ns.ResourceVersion
	*ns = *keep
}

func hasSpecFinalizers(obj runtime.Object) bool {
	ns, ok := obj.(*corev1.Namespace)
	return ok && len(ns.Spec.Finalizers) > 0
}
