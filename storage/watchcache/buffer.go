package watchcache

import (
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// cacheEvent is one change as the cache keeps it: the event the underlying store delivered
// (shared by every watcher that receives it unchanged), the key it concerns, and the object as it
// was before, which a filtered watcher needs to turn a MODIFIED into an ADDED or a DELETED when
// the object starts or stops matching its selectors.
type cacheEvent struct {
	event    *storage.Event
	key      string
	prev     runtime.Object // nil when the key held no object
	recorded time.Time

	// The derived forms are made once, on first need, and then shared like event is.
	addedOnce, deletedOnce sync.Once
	added, deleted         *storage.Event
}

// asAdded is the event as an ADDED of the new object, for watchers the object starts matching.
func (e *cacheEvent) asAdded() *storage.Event {
	e.addedOnce.Do(func() {
		e.added = &storage.Event{Type: watch.Added, Object: e.event.Object, ResourceVersion: e.event.ResourceVersion}
	})
	return e.added
}

// asDeleted is the event as a DELETED of the previous object at the event's resourceVersion, for
// watchers the object stops matching (kube sends the old state, with the new resourceVersion).
func (e *cacheEvent) asDeleted() *storage.Event {
	e.deletedOnce.Do(func() {
		obj := e.prev.DeepCopyObject()
		setResourceVersion(obj, e.event.ResourceVersion)
		e.deleted = &storage.Event{Type: watch.Deleted, Object: obj, ResourceVersion: e.event.ResourceVersion}
	})
	return e.deleted
}

// eventBuffer is a ring of the most recent events, from which watches that start at an older
// resourceVersion are replayed. It is not safe for concurrent use; the Cache guards it.
type eventBuffer struct {
	ring        []*cacheEvent
	start, size int
	minCap      int
	maxCap      int
	fresh       time.Duration

	// completeAfter is the resourceVersion after which the buffer holds every event: the list
	// revision after a (re)list, or the revision of the newest event pushed out of the ring.
	completeAfter uint64
}

func newEventBuffer(minCap, maxCap int, fresh time.Duration) *eventBuffer {
	return &eventBuffer{ring: make([]*cacheEvent, minCap), minCap: minCap, maxCap: maxCap, fresh: fresh}
}

// capacity is the ring's current size.
func (b *eventBuffer) capacity() int { return len(b.ring) }

// reset empties the buffer after a list at rv.
func (b *eventBuffer) reset(rv uint64) {
	clear(b.ring)
	b.start, b.size = 0, 0
	b.completeAfter = rv
}

func (b *eventBuffer) at(i int) *cacheEvent { return b.ring[(b.start+i)%len(b.ring)] }

// add appends ev, first growing or shrinking the ring by how much history it holds, then pushing
// the oldest event out when it is full.
func (b *eventBuffer) add(ev *cacheEvent) {
	b.resize(ev.recorded)
	if b.size == len(b.ring) {
		oldest := b.ring[b.start]
		b.completeAfter = oldest.event.ResourceVersion
		b.ring[b.start] = nil
		b.start = (b.start + 1) % len(b.ring)
		b.size--
	}
	b.ring[(b.start+b.size)%len(b.ring)] = ev
	b.size++
}

// resize follows kube's watch cache: a full ring whose oldest event is younger than the freshness
// window doubles; a full ring whose newest quarter already spans more than the window halves.
func (b *eventBuffer) resize(now time.Time) {
	if b.size < len(b.ring) {
		return
	}
	switch {
	case now.Sub(b.at(0).recorded) < b.fresh:
		if c := min(len(b.ring)*2, b.maxCap); c > len(b.ring) {
			b.resizeTo(c)
		}
	case now.Sub(b.at(b.size-len(b.ring)/4).recorded) > b.fresh:
		if c := max(len(b.ring)/2, b.minCap); c < len(b.ring) {
			b.resizeTo(c)
		}
	}
}

func (b *eventBuffer) resizeTo(capacity int) {
	ring := make([]*cacheEvent, capacity)
	keep := min(b.size, capacity)
	drop := b.size - keep
	if drop > 0 {
		b.completeAfter = b.at(drop - 1).event.ResourceVersion
	}
	for i := 0; i < keep; i++ {
		ring[i] = b.at(drop + i)
	}
	b.ring, b.start, b.size = ring, 0, keep
}

// since returns the events after rv, oldest first; ok is false when events after rv have already
// been pushed out (the caller answers "too old resource version").
func (b *eventBuffer) since(rv uint64) (events []*cacheEvent, ok bool) {
	if rv < b.completeAfter {
		return nil, false
	}
	first := sort.Search(b.size, func(i int) bool { return b.at(i).event.ResourceVersion > rv })
	events = make([]*cacheEvent, 0, b.size-first)
	for i := first; i < b.size; i++ {
		events = append(events, b.at(i))
	}
	return events, true
}
