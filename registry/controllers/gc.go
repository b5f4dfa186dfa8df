package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
)

// garbageCollector is kube's garbage collector on ownerReferences:
//   - an object whose owners are all gone is deleted (what a Background delete of the owner
//     leaves behind); references to gone owners are dropped from objects that keep another;
//   - an owner being deleted with the "orphan" finalizer has its references removed from its
//     dependents, then the finalizer removed;
//   - an owner being deleted with the "foregroundDeletion" finalizer has its dependents deleted,
//     and loses the finalizer (and so goes) once no dependent with blockOwnerDeletion remains.
//
// It keeps a graph of every object's owners, fed by the informers, to find an owner's
// dependents; whether an owner exists is always checked against the store, never the graph.
type garbageCollector struct {
	reg  *registry.Registry
	opts Options
	q    *queue

	mu         sync.Mutex
	nodes      map[types.UID]*gcNode
	dependents map[types.UID]map[types.UID]struct{}
}

// gcNode is one object as the graph knows it.
type gcNode struct {
	entry      *registry.Entry
	namespace  string
	name       string
	owners     []metav1.OwnerReference
	deleting   bool
	finalizers []string
}

const (
	dependentKey = "dependent/"
	ownerKey     = "owner/"
)

func newGarbageCollector(reg *registry.Registry, opts Options) *garbageCollector {
	return &garbageCollector{
		reg: reg, opts: opts, q: newQueue(),
		nodes: map[types.UID]*gcNode{}, dependents: map[types.UID]map[types.UID]struct{}{},
	}
}

func (gc *garbageCollector) queue() *queue { return gc.q }

func (gc *garbageCollector) workers() int { return 4 }

func (gc *garbageCollector) observe(ev event) {
	uid := ev.meta.GetUID()
	if uid == "" {
		return
	}
	gc.mu.Lock()
	defer gc.mu.Unlock()
	old := gc.nodes[uid]
	if old != nil {
		gc.unlinkLocked(uid, old)
	}
	if ev.typ == watch.Deleted {
		delete(gc.nodes, uid)
		// Its dependents may have lost their last owner; a foreground owner may be done.
		for d := range gc.dependents[uid] {
			gc.q.add(dependentKey + string(d))
		}
		if old != nil {
			gc.requeueDeletingOwnersLocked(old.owners)
		}
		return
	}
	n := &gcNode{
		entry:      ev.entry,
		namespace:  ev.meta.GetNamespace(),
		name:       ev.meta.GetName(),
		owners:     ev.meta.GetOwnerReferences(),
		deleting:   ev.meta.GetDeletionTimestamp() != nil,
		finalizers: ev.meta.GetFinalizers(),
	}
	gc.nodes[uid] = n
	for _, ref := range n.owners {
		set := gc.dependents[ref.UID]
		if set == nil {
			set = map[types.UID]struct{}{}
			gc.dependents[ref.UID] = set
		}
		set[uid] = struct{}{}
	}
	if gc.needsCheckLocked(n) {
		gc.q.add(dependentKey + string(uid))
	}
	if n.deleting && (hasString(n.finalizers, metav1.FinalizerOrphanDependents) || hasString(n.finalizers, metav1.FinalizerDeleteDependents)) {
		gc.q.add(ownerKey + string(uid))
	}
	if old != nil {
		gc.requeueDeletingOwnersLocked(old.owners)
	}
	gc.requeueDeletingOwnersLocked(n.owners)
}

func (gc *garbageCollector) unlinkLocked(uid types.UID, n *gcNode) {
	for _, ref := range n.owners {
		if set := gc.dependents[ref.UID]; set != nil {
			delete(set, uid)
			if len(set) == 0 {
				delete(gc.dependents, ref.UID)
			}
		}
	}
}

// needsCheckLocked reports whether a node may have to go or lose references: one of its owners
// is unknown to the graph (gone, or not listed yet) or is being deleted.
func (gc *garbageCollector) needsCheckLocked(n *gcNode) bool {
	for _, ref := range n.owners {
		owner := gc.nodes[ref.UID]
		if owner == nil || owner.deleting {
			return true
		}
	}
	return false
}

func (gc *garbageCollector) requeueDeletingOwnersLocked(refs []metav1.OwnerReference) {
	for _, ref := range refs {
		if owner := gc.nodes[ref.UID]; owner != nil && owner.deleting {
			gc.q.add(ownerKey + string(ref.UID))
		}
	}
}

func (gc *garbageCollector) resync() {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	for uid, n := range gc.nodes {
		if gc.needsCheckLocked(n) {
			gc.q.add(dependentKey + string(uid))
		}
		if n.deleting && (hasString(n.finalizers, metav1.FinalizerOrphanDependents) || hasString(n.finalizers, metav1.FinalizerDeleteDependents)) {
			gc.q.add(ownerKey + string(uid))
		}
	}
}

func (gc *garbageCollector) work(ctx context.Context, key string) error {
	if uid, ok := strings.CutPrefix(key, dependentKey); ok {
		return gc.attemptToDelete(ctx, types.UID(uid))
	}
	if uid, ok := strings.CutPrefix(key, ownerKey); ok {
		return gc.processDeletingOwner(ctx, types.UID(uid))
	}
	return nil
}

func (gc *garbageCollector) node(uid types.UID) *gcNode {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	n := gc.nodes[uid]
	if n == nil {
		return nil
	}
	cp := *n
	return &cp
}

func (gc *garbageCollector) dependentsOf(uid types.UID) []types.UID {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	out := make([]types.UID, 0, len(gc.dependents[uid]))
	for d := range gc.dependents[uid] {
		if gc.nodes[d] != nil {
			out = append(out, d)
		}
	}
	return out
}

// latest reads a node's object from its store; nil when it is gone or was replaced.
func latest(ctx context.Context, n *gcNode, uid types.UID) (runtime.Object, metav1.Object, error) {
	obj, err := n.entry.Store.Get(ctx, n.namespace, n.name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil || m.GetUID() != uid {
		return nil, nil, nil
	}
	return obj, m, nil
}

// ownerState is how the collector classifies an owner reference, as kube's does.
type ownerState int

const (
	ownerSolid    ownerState = iota // exists and is not waiting for its dependents
	ownerDangling                   // gone (or replaced by another object of the same name)
	ownerWaiting                    // being deleted in the foreground: its dependents must go
)

func (gc *garbageCollector) classify(ctx context.Context, namespace string, ref metav1.OwnerReference) (ownerState, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return ownerSolid, nil
	}
	e := gc.reg.ForKind(gv.WithKind(ref.Kind))
	if e == nil {
		// An owner of a kind nobody serves cannot be looked up; leave the reference alone.
		return ownerSolid, nil
	}
	if !e.Resource.Namespaced {
		namespace = ""
	}
	obj, err := e.Store.Get(ctx, namespace, ref.Name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ownerDangling, nil
	}
	if err != nil {
		return ownerSolid, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return ownerSolid, err
	}
	if m.GetUID() != ref.UID {
		return ownerDangling, nil
	}
	if m.GetDeletionTimestamp() != nil && hasString(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
		return ownerWaiting, nil
	}
	return ownerSolid, nil
}

// attemptToDelete is kube's attemptToDeleteItem: delete a dependent whose owners are all gone
// or waiting for it, or drop its references to such owners when another owner remains.
func (gc *garbageCollector) attemptToDelete(ctx context.Context, uid types.UID) error {
	n := gc.node(uid)
	if n == nil {
		return nil
	}
	obj, m, err := latest(ctx, n, uid)
	if err != nil || obj == nil {
		return err
	}
	if m.GetDeletionTimestamp() != nil || len(m.GetOwnerReferences()) == 0 {
		return nil
	}
	var solid, drop int
	remove := map[types.UID]bool{}
	waiting := false
	for _, ref := range m.GetOwnerReferences() {
		state, err := gc.classify(ctx, m.GetNamespace(), ref)
		if err != nil {
			return err
		}
		switch state {
		case ownerSolid:
			solid++
		case ownerDangling:
			drop++
			remove[ref.UID] = true
		case ownerWaiting:
			drop++
			waiting = true
			remove[ref.UID] = true
		}
	}
	switch {
	case solid > 0:
		if drop == 0 {
			return nil
		}
		return gc.removeOwnerReferences(ctx, n, uid, remove)
	default:
		policy := metav1.DeletePropagationBackground
		switch {
		case hasString(m.GetFinalizers(), metav1.FinalizerOrphanDependents):
			policy = metav1.DeletePropagationOrphan
		case hasString(m.GetFinalizers(), metav1.FinalizerDeleteDependents):
			policy = metav1.DeletePropagationForeground
		case waiting && len(gc.dependentsOf(uid)) > 0:
			// Its own dependents must go before its foreground owner may.
			policy = metav1.DeletePropagationForeground
		}
		_, _, err := n.entry.Store.Delete(ctx, n.namespace, n.name, registry.Admission{}, &metav1.DeleteOptions{
			PropagationPolicy: &policy,
			Preconditions:     &metav1.Preconditions{UID: &uid},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
}

// processDeletingOwner handles an owner being deleted with the orphan or foregroundDeletion
// finalizer.
func (gc *garbageCollector) processDeletingOwner(ctx context.Context, uid types.UID) error {
	n := gc.node(uid)
	if n == nil {
		return nil
	}
	obj, m, err := latest(ctx, n, uid)
	if err != nil || obj == nil {
		return err
	}
	if m.GetDeletionTimestamp() == nil {
		return nil
	}
	switch {
	case hasString(m.GetFinalizers(), metav1.FinalizerOrphanDependents):
		for _, d := range gc.dependentsOf(uid) {
			dn := gc.node(d)
			if dn == nil {
				continue
			}
			if err := gc.removeOwnerReferences(ctx, dn, d, map[types.UID]bool{uid: true}); err != nil {
				return err
			}
		}
		return gc.removeFinalizer(ctx, n, uid, metav1.FinalizerOrphanDependents)
	case hasString(m.GetFinalizers(), metav1.FinalizerDeleteDependents):
		blocking := 0
		for _, d := range gc.dependentsOf(uid) {
			dn := gc.node(d)
			if dn == nil {
				continue
			}
			for _, ref := range dn.owners {
				if ref.UID == uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
					blocking++
				}
			}
			if !dn.deleting {
				gc.q.add(dependentKey + string(d))
			}
		}
		if blocking > 0 {
			// The dependents' deletions requeue this owner.
			return nil
		}
		return gc.removeFinalizer(ctx, n, uid, metav1.FinalizerDeleteDependents)
	}
	return nil
}

// removeOwnerReferences drops the references to the given owners from an object.
func (gc *garbageCollector) removeOwnerReferences(ctx context.Context, n *gcNode, uid types.UID, owners map[types.UID]bool) error {
	return gc.updateObject(ctx, n, uid, func(m metav1.Object) bool {
		var keep []metav1.OwnerReference
		for _, ref := range m.GetOwnerReferences() {
			if !owners[ref.UID] {
				keep = append(keep, ref)
			}
		}
		if len(keep) == len(m.GetOwnerReferences()) {
			return false
		}
		m.SetOwnerReferences(keep)
		return true
	})
}

// removeFinalizer drops one finalizer from an object (which deletes it when it was the last
// one of an object being deleted).
func (gc *garbageCollector) removeFinalizer(ctx context.Context, n *gcNode, uid types.UID, finalizer string) error {
	return gc.updateObject(ctx, n, uid, func(m metav1.Object) bool {
		var keep []string
		for _, f := range m.GetFinalizers() {
			if f != finalizer {
				keep = append(keep, f)
			}
		}
		if len(keep) == len(m.GetFinalizers()) {
			return false
		}
		m.SetFinalizers(keep)
		return true
	})
}

// updateObject changes an object through its store; nothing is written when change reports
// no change.
func (gc *garbageCollector) updateObject(ctx context.Context, n *gcNode, uid types.UID, change func(metav1.Object) bool) error {
	unchanged := false
	_, _, err := n.entry.Store.Update(ctx, n.namespace, n.name, "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: n.entry.Resource.Plural}, n.name)
		}
		obj := current.DeepCopyObject()
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		if m.GetUID() != uid || !change(m) {
			unchanged = true
			return nil, apierrors.NewConflict(schema.GroupResource{Resource: n.entry.Resource.Plural}, n.name, fmt.Errorf("nothing to change"))
		}
		return obj, nil
	}, registry.Admission{}, false, &metav1.UpdateOptions{})
	if unchanged || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
