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
		result:    make(chan *storage.Event),
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
		if !w.interested(ce.key) {
			continue
		}
		select {
		case w.input <- ce:
		case <-w.done:
		default:
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
			select {
			case w.input <- ce:
				continue
			case <-w.done:
				continue
			case <-timer.C:
				expired = true
			}
		}
		select {
		case w.input <- ce:
		case <-w.done:
		default:
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
		select {
		case w.input <- ce:
		default:
		}
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

// cacheWatcher is one watch served by the cache. The dispatcher puts events on input; the
// watcher's goroutine sends the initial events and the replay first, then filters input by the
// watch's predicate and passes the shared events on to result.
type cacheWatcher struct {
	cache     *Cache
	prefix    string
	exact     bool
	pred      storage.Predicate
	bookmarks bool
	after     uint64 // live events at or below this revision were in the initial state or replay

	input  chan *cacheEvent
	result chan *storage.Event
	done   chan struct{}

	stopOnce  sync.Once
	stopOnCtx func() bool
}

// ResultChan returns the watch's events; it is closed when the watch ends.
func (w *cacheWatcher) ResultChan() <-chan *storage.Event { return w.result }

// Stop ends the watch. It is safe to call more than once and from any goroutine.
func (w *cacheWatcher) Stop() {
	w.stopOnce.Do(func() { close(w.done) })
}

// interested reports whether an event for key is within the watch's scope.
func (w *cacheWatcher) interested(key string) bool {
	if w.exact {
		return key == w.prefix
	}
	return strings.HasPrefix(key, w.prefix)
}

func (w *cacheWatcher) run(initial []*storage.Event, replay []*cacheEvent, end *storage.Event) {
	defer func() {
		if w.stopOnCtx != nil {
			w.stopOnCtx()
		}
		w.Stop()
		w.cache.unregister(w)
		close(w.result)
	}()
	sent := uint64(0) // the newest revision sent, so bookmarks never go back
	for _, ev := range initial {
		if ok, err := w.pred.Matches(ev.Object); err != nil || !ok {
			continue
		}
		if !w.send(ev) {
			return
		}
	}
	for _, ce := range replay {
		// The buffer holds the whole resource's changes; the dispatcher checks scope for live
		// events, so a replay must check it here.
		if !w.interested(ce.key) {
			continue
		}
		if ev := w.filter(ce); ev != nil {
			if !w.send(ev) {
				return
			}
			sent = ev.ResourceVersion
		}
	}
	if end != nil {
		if !w.send(end) {
			return
		}
		sent = end.ResourceVersion
	}
	for {
		select {
		case <-w.done:
			return
		case ce := <-w.input:
			ev := ce.event
			if ev.Type == watch.Bookmark {
				if ev.ResourceVersion < sent || ev.ResourceVersion < w.after {
					continue
				}
			} else if ev.ResourceVersion <= w.after {
				continue
			} else if ev = w.filter(ce); ev == nil {
				continue
			}
			if !w.send(ev) {
				return
			}
			sent = ev.ResourceVersion
		}
	}
}

// send delivers ev unless the watch ends first.
func (w *cacheWatcher) send(ev *storage.Event) bool {
	select {
	case w.result <- ev:
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
