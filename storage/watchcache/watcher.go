package watchcache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// initialEventsEndAnnotation marks the BOOKMARK that ends a watch list's initial events.
const initialEventsEndAnnotation = "k8s.io/initial-events-end"

// Watch serves a watch from memory:
//   - resourceVersion "" or "0" (unless SendInitialEvents is false): the current state as ADDED
//     events, then changes;
//   - SendInitialEvents true: the state at least as new as resourceVersion as ADDED events, a
//     BOOKMARK annotated "k8s.io/initial-events-end", then changes;
//   - SendInitialEvents false with "" or "0": changes from now on;
//   - resourceVersion N: the changes after N, replayed from the event buffer, then live changes;
//     ErrCodeResourceExpired when the buffer no longer reaches back to N.
func (c *Cache) Watch(ctx context.Context, key string, opts storage.ListOptions) (storage.Watcher, error) {
	rv, ok := parseResourceVersion(opts.ResourceVersion)
	if !ok {
		return c.underlying.Watch(ctx, key, opts) // the store's own error for a malformed value
	}
	fromState := opts.ResourceVersion == "" || opts.ResourceVersion == "0"
	sendState := fromState
	if opts.SendInitialEvents != nil {
		sendState = *opts.SendInitialEvents
	}
	endBookmark := opts.SendInitialEvents != nil && *opts.SendInitialEvents

	minRV := uint64(0) // a replay checks the buffer instead
	if sendState && !fromState {
		minRV = rv // the state sent must be at least as new as rv
	}
	if opts.ResourceVersion == "" && c.opts.RequestProgress != nil {
		// A watch from "" is a consistent read: catch up with etcd's current revision first. Without
		// a way to ask etcd for progress the newest state the cache has is served instead.
		if cur, err := c.underlying.CurrentResourceVersion(ctx); err == nil {
			minRV = cur
		}
	}

	prefix, exact := c.scope(key, opts.Recursive)
	w := &cacheWatcher{
		cache:     c,
		prefix:    prefix,
		exact:     exact,
		pred:      opts.Predicate,
		bookmarks: opts.ProgressNotify,
		input:     make(chan *cacheEvent, c.opts.WatcherBuffer),
		result:    make(chan *storage.Event, c.opts.WatcherBuffer),
		done:      make(chan struct{}),
	}
	var initial []*storage.Event
	var replay []*cacheEvent
	var expiredErr error
	read := func() {
		w.after = max(c.rv, rv)
		switch {
		case sendState:
			initial = c.selectLocked(prefix, exact)
			w.after = c.rv
		case !fromState:
			events, ok := c.buffer.since(rv)
			if !ok {
				expiredErr = &storage.Error{
					Code:            storage.ErrCodeResourceExpired,
					Key:             key,
					ResourceVersion: rv,
					Message:         fmt.Sprintf("too old resource version: %d (%d)", rv, c.buffer.completeAfter),
				}
				return
			}
			replay = events
		}
		c.registerLocked(w)
	}
	err := c.readFresh(ctx, key, minRV, true, read)
	if err != nil && opts.ResourceVersion == "" && storage.IsCode(err, storage.ErrCodeTooLargeResourceVersion) {
		err = c.readFresh(ctx, key, 0, true, read) // best effort: the newest state the cache has
	}
	if err != nil {
		return nil, err
	}
	if expiredErr != nil {
		return nil, expiredErr
	}
	var end *storage.Event
	if endBookmark {
		end = c.bookmark(w.after, true)
	}
	w.stopOnCtx = context.AfterFunc(ctx, w.Stop)
	go w.run(initial, replay, end)
	return w, nil
}

// registerLocked adds w to the watchers the dispatcher serves.
func (c *Cache) registerLocked(w *cacheWatcher) {
	watchers := make([]*cacheWatcher, len(c.watchers), len(c.watchers)+1)
	copy(watchers, c.watchers)
	c.watchers = append(watchers, w)
	c.metrics.watcherAdded()
}

// unregister removes w from the dispatcher's watchers.
func (c *Cache) unregister(w *cacheWatcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.watchers {
		if x == w {
			watchers := make([]*cacheWatcher, 0, len(c.watchers)-1)
			watchers = append(watchers, c.watchers[:i]...)
			c.watchers = append(watchers, c.watchers[i+1:]...)
			c.metrics.watcherRemoved()
			return
		}
	}
}

// terminateAllWatchers ends every watch, e.g. before a relist.
func (c *Cache) terminateAllWatchers(reason string) {
	c.mu.RLock()
	watchers := c.watchers
	c.mu.RUnlock()
	if len(watchers) > 0 {
		c.opts.Logger.Info("watch cache ends its watches", "resource", c.prefix, "watchers", len(watchers), "reason", reason)
	}
	for _, w := range watchers {
		w.Stop()
	}
}

// dispatch hands ce to every interested watcher. A watcher whose buffer is full gets a share of
// one bounded wait (Options.DispatchTimeout for the whole event, not per watcher); one still full
// after that is terminated as a slow consumer, so no watcher holds up the others for long.
func (c *Cache) dispatch(ce *cacheEvent, watchers []*cacheWatcher) {
	var blocked []*cacheWatcher
	for _, w := range watchers {
		if w.interested(ce.key) && !w.add(ce, nil) {
			blocked = append(blocked, w)
		}
	}
	c.metrics.dispatched()
	if len(blocked) == 0 {
		return
	}
	timer := time.NewTimer(c.opts.DispatchTimeout)
	defer timer.Stop()
	expired := false
	for _, w := range blocked {
		if !expired {
			if w.add(ce, timer.C) {
				continue
			}
			expired = true
		}
		if !w.add(ce, nil) {
			c.opts.Logger.Warn("terminating watcher due to slow consumer", "resource", c.prefix, "resourceVersion", ce.event.ResourceVersion)
			c.metrics.terminated()
			w.Stop()
		}
	}
}

// sendBookmarks gives every watcher that asked for bookmarks one at the cache's revision. A
// bookmark is only a hint, so a watcher with a full buffer just misses it.
func (c *Cache) sendBookmarks() {
	c.mu.RLock()
	rv, watchers := c.rv, c.watchers
	c.mu.RUnlock()
	var ce *cacheEvent
	for _, w := range watchers {
		if !w.bookmarks {
			continue
		}
		if ce == nil {
			ce = &cacheEvent{event: c.bookmark(rv, false)}
		}
		w.add(ce, nil)
	}
}

// bookmark is a BOOKMARK event at rv: an empty object of the resource's type carrying only its
// resourceVersion (and the initial-events-end annotation when asked).
func (c *Cache) bookmark(rv uint64, initialEventsEnd bool) *storage.Event {
	obj := c.codec.New()
	setResourceVersion(obj, rv)
	if initialEventsEnd {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetAnnotations(map[string]string{initialEventsEndAnnotation: "true"})
		}
	}
	return &storage.Event{Type: watch.Bookmark, Object: obj, ResourceVersion: rv}
}

// cacheWatcher is one watch served by the cache. Its goroutine sends the initial events and the
// replay to result first, while the dispatcher queues live events on input; once it has sent
// those too, it hands delivery over to the dispatcher, which from then on filters each live event
// and puts it straight on result, and the goroutine ends (RATIONALE.md: "Why does the dispatcher
// deliver straight to a watch?").
type cacheWatcher struct {
	cache     *Cache
	prefix    string
	exact     bool
	pred      storage.Predicate
	bookmarks bool
	after     uint64 // live events at or below this revision were in the initial state or replay

	// input queues live events for the goroutine until the hand-over; result is the consumer's,
	// buffered, so that after the hand-over it is what a slow consumer fills.
	input  chan *cacheEvent
	result chan *storage.Event
	done   chan struct{}

	// mu orders the dispatcher's sends against the hand-over and against closing result.
	mu sync.Mutex
	// direct is set at the hand-over: the dispatcher delivers to result, and Stop cleans up.
	direct bool
	closed bool   // result is closed
	sent   uint64 // the newest revision sent, so bookmarks never go back

	stopOnce  sync.Once
	stopOnCtx func() bool
}

// ResultChan returns the watch's events; it is closed when the watch ends.
func (w *cacheWatcher) ResultChan() <-chan *storage.Event { return w.result }

// Stop ends the watch. It is safe to call more than once and from any goroutine.
func (w *cacheWatcher) Stop() {
	w.stopOnce.Do(func() {
		close(w.done)
		// Closing done first ends a dispatcher's wait for room, which holds mu.
		w.mu.Lock()
		direct := w.direct
		w.mu.Unlock()
		if direct {
			w.finish()
		}
		// Otherwise the goroutine sees done and finishes.
	})
}

// finish releases the watch once it has ended: by the goroutine before the hand-over, by Stop
// after it.
func (w *cacheWatcher) finish() {
	if w.stopOnCtx != nil {
		w.stopOnCtx()
	}
	w.cache.unregister(w)
	w.mu.Lock()
	w.closed = true
	close(w.result)
	w.mu.Unlock()
}

// interested reports whether an event for key is within the watch's scope.
func (w *cacheWatcher) interested(key string) bool {
	if w.exact {
		return key == w.prefix
	}
	return strings.HasPrefix(key, w.prefix)
}

// add hands a live event (or a bookmark) to the watch: onto input before the hand-over, filtered
// onto result after it. With a nil expire it does not wait for room; otherwise it waits until
// expire fires. It reports false only when there was no room; an ended watch takes everything.
func (w *cacheWatcher) add(ce *cacheEvent, expire <-chan time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.direct {
		return offer(w.input, ce, w.done, expire)
	}
	if w.closed {
		return true
	}
	ev := w.live(ce)
	if ev == nil {
		return true
	}
	if !offer(w.result, ev, w.done, expire) {
		return false
	}
	w.sent = ev.ResourceVersion
	return true
}

// offer puts v on ch unless done is closed, waiting for room until expire fires (not at all when
// expire is nil); false when there was no room.
func offer[T any](ch chan<- T, v T, done <-chan struct{}, expire <-chan time.Time) bool {
	if expire == nil {
		select {
		case ch <- v:
			return true
		case <-done:
			return true
		default:
			return false
		}
	}
	select {
	case ch <- v:
		return true
	case <-done:
		return true
	case <-expire:
		return false
	}
}

// live is what the watch sends of a live event, or nil: a bookmark unless it would go back, a
// change newer than the watch's start as the predicate sees it.
func (w *cacheWatcher) live(ce *cacheEvent) *storage.Event {
	ev := ce.event
	if ev.Type == watch.Bookmark {
		if ev.ResourceVersion < w.sent || ev.ResourceVersion < w.after {
			return nil
		}
		return ev
	}
	if ev.ResourceVersion <= w.after {
		return nil
	}
	return w.filter(ce)
}

func (w *cacheWatcher) run(initial []*storage.Event, replay []*cacheEvent, end *storage.Event) {
	if !w.sendBacklog(initial, replay, end) || !w.handOver() {
		w.finish()
	}
}

// sendBacklog sends the initial events, the replay and the end bookmark; false when the watch
// ended first.
func (w *cacheWatcher) sendBacklog(initial []*storage.Event, replay []*cacheEvent, end *storage.Event) bool {
	for _, ev := range initial {
		if ok, err := w.pred.Matches(ev.Object); err != nil || !ok {
			continue
		}
		if !w.send(ev) {
			return false
		}
	}
	for _, ce := range replay {
		// The buffer holds the whole resource's changes; the dispatcher checks scope for live
		// events, so a replay must check it here.
		if !w.interested(ce.key) {
			continue
		}
		if ev := w.filter(ce); ev != nil && !w.send(ev) {
			return false
		}
	}
	if end != nil {
		return w.send(end)
	}
	return true
}

// handOver sends the live events queued meanwhile and then, once input is empty, lets the
// dispatcher deliver; false when the watch ended first.
func (w *cacheWatcher) handOver() bool {
	for {
		select {
		case <-w.done:
			return false
		case ce := <-w.input:
			if ev := w.live(ce); ev != nil && !w.send(ev) {
				return false
			}
			continue
		default:
		}
		w.mu.Lock()
		select {
		case <-w.done:
			w.mu.Unlock()
			return false
		default:
		}
		if len(w.input) == 0 {
			w.direct = true
			w.mu.Unlock()
			return true
		}
		w.mu.Unlock()
	}
}

// send delivers ev unless the watch ends first; the goroutine's way, before the hand-over.
func (w *cacheWatcher) send(ev *storage.Event) bool {
	select {
	case w.result <- ev:
		w.sent = ev.ResourceVersion
		return true
	case <-w.done:
		return false
	}
}

// filter returns what the watch sees of a change, or nil: the shared event itself when the
// object matches the predicate before and after (or the predicate selects everything), an ADDED
// when it starts matching, a DELETED of the old state when it stops matching.
func (w *cacheWatcher) filter(ce *cacheEvent) *storage.Event {
	ev := ce.event
	if w.pred.Empty() {
		return ev
	}
	matches := func(obj runtime.Object) bool {
		ok, err := w.pred.Matches(obj)
		return err == nil && ok
	}
	switch ev.Type {
	case watch.Added:
		if matches(ev.Object) {
			return ev
		}
	case watch.Deleted:
		obj := ce.prev
		if obj == nil {
			obj = ev.Object
		}
		if matches(obj) {
			return ev
		}
	case watch.Modified:
		now := matches(ev.Object)
		before := ce.prev != nil && matches(ce.prev)
		switch {
		case now && before:
			return ev
		case now:
			return ce.asAdded()
		case before:
			return ce.asDeleted()
		}
	}
	return nil
}
