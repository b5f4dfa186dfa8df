package storage

import (
	"context"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Interface is one resource's storage. Keys are full paths below the backend's prefix, e.g.
// "/configmaps/ns1/name" for an object and "/configmaps/ns1/" or "/configmaps/" for a list.
// Objects are runtime.Objects that also satisfy metav1.Object; the backend sets resourceVersion on
// every object it returns and clears it before it stores one.
//
// Every method is safe for concurrent use.
type Interface interface {
	// Create stores obj at key and returns the stored object. It fails with ErrCodeKeyExists
	// when key exists.
	Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error)

	// Get returns the object at key, ErrCodeKeyNotFound when there is none.
	Get(ctx context.Context, key string, opts GetOptions) (runtime.Object, error)

	// GetList returns the objects below the prefix key that match opts.Predicate, as a list object
	// (NewList) with ListMeta's resourceVersion and continue set.
	GetList(ctx context.Context, key string, opts ListOptions) (runtime.Object, error)

	// GuaranteedUpdate reads the object at key, calls tryUpdate with a copy of it, and stores
	// what tryUpdate returns with a compare-and-swap on the key's mod revision, retrying tryUpdate
	// on a lost race. preconditions are checked against the current object on each try.
	// tryUpdate may return an *Error (or any error) to stop. When ignoreNotFound is set a missing
	// key gives tryUpdate a zero object (New()) instead of failing with ErrCodeKeyNotFound.
	GuaranteedUpdate(ctx context.Context, key string, preconditions *Preconditions, ignoreNotFound bool, tryUpdate UpdateFunc) (runtime.Object, error)

	// Delete removes the object at key if preconditions hold and validate (if set) accepts the
	// current object, and returns the object as it was last stored.
	Delete(ctx context.Context, key string, preconditions *Preconditions, validate func(current runtime.Object) error) (runtime.Object, error)

	// Watch streams changes below key (a prefix when opts.Recursive) that match opts.Predicate,
	// starting after opts.ResourceVersion ("" or "0" means: the current state as ADDED events,
	// then changes). A revision that etcd has compacted gives ErrCodeResourceExpired.
	Watch(ctx context.Context, key string, opts ListOptions) (Watcher, error)

	// CurrentResourceVersion is the newest revision this store knows of.
	CurrentResourceVersion(ctx context.Context) (uint64, error)
}

// EventLister is a storage that holds the objects it lists as shared *Events, as the watch cache
// does. GetListWithEvents is GetList for a caller that writes the items from the events' shared
// encodings (Event.Encoded) instead of encoding them again on every list: when the list is
// served from memory, the list object carries the list's kind and metadata and no items, and
// events holds the selected objects, in order (empty, not nil, when none is selected). When the
// store passes the list to etcd, events is nil and the list is complete, as GetList's.
type EventLister interface {
	GetListWithEvents(ctx context.Context, key string, opts ListOptions) (list runtime.Object, events []*Event, err error)
}

// UpdateFunc computes the new object from the current one. It must not change current.
type UpdateFunc func(current runtime.Object) (updated runtime.Object, err error)

// Codec turns objects into the bytes stored in etcd and back. New and NewList make empty objects
// of the resource's type.
type Codec struct {
	New     func() runtime.Object
	NewList func() runtime.Object
	Encode  func(obj runtime.Object) ([]byte, error)
	Decode  func(data []byte, into runtime.Object) error
}

// GetOptions qualify a Get.
type GetOptions struct {
	// ResourceVersion "" reads the newest state (a quorum read); "0" accepts any cached state;
	// otherwise the state must be at least this new.
	ResourceVersion string
}

// ListOptions qualify a GetList or a Watch.
type ListOptions struct {
	ResourceVersion      string
	ResourceVersionMatch string // "", "NotOlderThan" or "Exact", as metav1.ListOptions
	Predicate            Predicate
	Recursive            bool
	// ProgressNotify asks a Watch for BOOKMARK events.
	ProgressNotify bool
	// SendInitialEvents asks a Watch to start with the current state as ADDED events, followed by
	// a BOOKMARK annotated "k8s.io/initial-events-end" (watch lists).
	SendInitialEvents *bool
}

// Predicate selects objects by labels and fields, and pages lists.
type Predicate struct {
	Label labels.Selector // nil means everything
	Field fields.Selector // nil means everything
	// GetAttrs returns the labels and selectable fields of an object; required when Label or
	// Field is set to anything other than Everything.
	GetAttrs func(obj runtime.Object) (labels.Set, fields.Set, error)
	Limit    int64
	Continue string
}

// Matches reports whether obj passes the predicate's selectors.
func (p Predicate) Matches(obj runtime.Object) (bool, error) {
	if p.Empty() {
		return true, nil
	}
	ls, fs, err := p.GetAttrs(obj)
	if err != nil {
		return false, err
	}
	if p.Label != nil && !p.Label.Matches(ls) {
		return false, nil
	}
	if p.Field != nil && !p.Field.Matches(fs) {
		return false, nil
	}
	return true, nil
}

// Empty reports whether the predicate selects everything.
func (p Predicate) Empty() bool {
	return (p.Label == nil || p.Label.Empty()) && (p.Field == nil || p.Field.Empty())
}

// Preconditions must hold for an update or delete to proceed.
type Preconditions struct {
	UID             *string
	ResourceVersion *string
}

// Watcher is a running watch. Events arrive on ResultChan until Stop is called or the watch
// ends (the channel is then closed). The same *Event may be delivered to many watchers: it is
// immutable, and its encodings are computed once and shared.
type Watcher interface {
	ResultChan() <-chan *Event
	Stop()
}

// Event is one change. For watch.Error, Object is a *metav1.Status. For watch.Bookmark, Object is
// an empty object of the resource's type carrying only resourceVersion (and, at the end of
// initial events, the annotation "k8s.io/initial-events-end": "true").
type Event struct {
	Type   watch.EventType
	Object runtime.Object
	// ResourceVersion is the revision the event happened at.
	ResourceVersion uint64

	encodings encodingCache
}

// Encoded returns the event's encoding for a content type, computing it with encode on first use;
// every later caller with the same content type gets the same bytes.
func (e *Event) Encoded(contentType string, encode func(*Event) ([]byte, error)) ([]byte, error) {
	return e.encodings.get(contentType, func() ([]byte, error) { return encode(e) })
}
