package watchcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// Retry pacing for a failing list or watch of the underlying store.
const (
	minRetryDelay = 100 * time.Millisecond
	maxRetryDelay = 5 * time.Second
	// progressRequestInterval paces progress requests while readers wait for a newer revision.
	progressRequestInterval = 100 * time.Millisecond
)

// run is the cache's one writer: list, then watch from the list's revision, and list again when
// the watch reports that revision compacted. Every relist ends the watches the cache serves,
// since events between the old state and the new one are lost (kube's cacher does the same).
func (c *Cache) run(ctx context.Context) {
	bookmarks := time.NewTicker(c.opts.BookmarkInterval)
	defer bookmarks.Stop()
	delay := minRetryDelay
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			c.becomeUnready()
			c.terminateAllWatchers("the watch cache relists")
		}
		rv, err := c.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.opts.Logger.Warn("watch cache list failed; retrying", "resource", c.prefix, "err", err, "delay", delay)
			if !sleep(ctx, delay) {
				return
			}
			delay = min(2*delay, maxRetryDelay)
			continue
		}
		delay = minRetryDelay
		c.watchFrom(ctx, rv, bookmarks.C)
	}
}

// list reads every object below the prefix, page by page at one revision, and replaces the
// cache's contents with them. It returns the list's revision.
func (c *Cache) list(ctx context.Context) (uint64, error) {
	var objs []runtime.Object
	var listRV uint64
	cont := ""
	for {
		opts := storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: c.opts.ListPageSize, Continue: cont}}
		list, err := c.underlying.GetList(ctx, c.prefix, opts)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", c.prefix, err)
		}
		lm, err := meta.ListAccessor(list)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", c.prefix, err)
		}
		if listRV == 0 {
			if listRV, err = strconv.ParseUint(lm.GetResourceVersion(), 10, 64); err != nil {
				return 0, fmt.Errorf("listing %s: list resourceVersion %q: %w", c.prefix, lm.GetResourceVersion(), err)
			}
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", c.prefix, err)
		}
		objs = append(objs, items...)
		if cont = lm.GetContinue(); cont == "" {
			break
		}
	}

	store := newObjectStore(len(objs))
	for _, obj := range objs {
		key, err := c.keyOf(obj)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", c.prefix, err)
		}
		store.put(key, &storage.Event{Type: watch.Added, Object: obj, ResourceVersion: resourceVersionOf(obj)})
	}
	c.mu.Lock()
	c.store = store
	c.buffer.reset(listRV)
	c.advanceLocked(listRV, true)
	c.ready = true
	close(c.readyCh)
	c.mu.Unlock()
	c.metrics.initialized(store.len(), c.buffer.capacity(), listRV)
	return listRV, nil
}

// becomeUnready makes reads and new watches wait for the next list.
func (c *Cache) becomeUnready() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready {
		c.ready = false
		c.readyCh = make(chan struct{})
	}
}

// watchFrom keeps a watch of the underlying store open from rv, reopening it from the newest
// revision seen when it ends, until the store answers that the revision is compacted (the caller
// relists) or ctx ends.
func (c *Cache) watchFrom(ctx context.Context, rv uint64, bookmarks <-chan time.Time) {
	delay := minRetryDelay
	for ctx.Err() == nil {
		w, err := c.underlying.Watch(ctx, c.prefix, storage.ListOptions{
			ResourceVersion: strconv.FormatUint(rv, 10),
			Recursive:       true,
			ProgressNotify:  true,
		})
		if err != nil {
			if storage.IsCode(err, storage.ErrCodeResourceExpired) || ctx.Err() != nil {
				return
			}
			c.opts.Logger.Warn("watch cache watch failed; retrying", "resource", c.prefix, "err", err, "delay", delay)
			if !sleep(ctx, delay) {
				return
			}
			delay = min(2*delay, maxRetryDelay)
			continue
		}
		expired, progressed := c.consume(ctx, w, bookmarks)
		w.Stop()
		if expired {
			return
		}
		if progressed {
			delay = minRetryDelay
		} else if !sleep(ctx, delay) {
			return
		} else {
			delay = min(2*delay, maxRetryDelay)
		}
		c.mu.RLock()
		rv = c.rv
		c.mu.RUnlock()
	}
}

// consume applies a watch's events until it ends. expired reports a 410 from the store;
// progressed, that at least one change or bookmark arrived (an ERROR is no progress: rewatching at
// once after one could spin on the same failure).
func (c *Cache) consume(ctx context.Context, w storage.Watcher, bookmarks <-chan time.Time) (expired, progressed bool) {
	for {
		select {
		case <-ctx.Done():
			return false, progressed
		case <-bookmarks:
			c.sendBookmarks()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, progressed
			}
			switch ev.Type {
			case watch.Added, watch.Modified, watch.Deleted:
				progressed = true
				c.apply(ev)
			case watch.Bookmark:
				progressed = true
				c.mu.Lock()
				c.advanceLocked(ev.ResourceVersion, false)
				c.mu.Unlock()
			case watch.Error:
				if isExpired(ev.Object) {
					return true, progressed
				}
				c.opts.Logger.Warn("watch cache watch reported an error; rewatching", "resource", c.prefix, "status", statusMessage(ev.Object))
				return false, progressed
			}
		}
	}
}

// apply records one change and fans it out to the watchers.
func (c *Cache) apply(ev *storage.Event) {
	key, err := c.keyOf(ev.Object)
	if err != nil {
		c.opts.Logger.Error("watch cache dropped an event it cannot key", "resource", c.prefix, "type", ev.Type, "err", err)
		return
	}
	ce := &cacheEvent{event: ev, key: key, recorded: time.Now()}
	c.mu.Lock()
	if ev.ResourceVersion <= c.rv {
		c.mu.Unlock()
		return // seen already, before a rewatch
	}
	switch ev.Type {
	case watch.Deleted:
		ce.prev = c.store.remove(key)
	default:
		added := ev
		if ev.Type != watch.Added {
			added = &storage.Event{Type: watch.Added, Object: ev.Object, ResourceVersion: ev.ResourceVersion}
		}
		ce.prev = c.store.put(key, added)
	}
	c.buffer.add(ce)
	c.advanceLocked(ev.ResourceVersion, false)
	watchers := c.watchers
	size, capacity := c.store.len(), c.buffer.capacity()
	c.mu.Unlock()
	c.metrics.received(size, capacity, ev.ResourceVersion)
	c.dispatch(ce, watchers)
}

// advanceLocked moves the cache's revision forward (or sets it, after a list) and wakes readers
// waiting for it.
func (c *Cache) advanceLocked(rv uint64, force bool) {
	if rv <= c.rv && !force {
		return
	}
	c.rv = rv
	close(c.rvCh)
	c.rvCh = make(chan struct{})
}

// requestProgressWhileWaited asks etcd for progress notifications while readers wait for a
// revision the cache has not seen.
func (c *Cache) requestProgressWhileWaited(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.progressWanted:
		}
		for c.waiting.Load() > 0 {
			if err := c.opts.RequestProgress(ctx); err != nil && ctx.Err() == nil {
				c.opts.Logger.Debug("watch cache progress request failed", "resource", c.prefix, "err", err)
			}
			if !sleep(ctx, progressRequestInterval) {
				return
			}
		}
	}
}

// isExpired reports whether a watch ERROR event's status is a 410 (Gone / Expired).
func isExpired(obj runtime.Object) bool {
	st, ok := obj.(*metav1.Status)
	if !ok {
		return false
	}
	return st.Code == http.StatusGone || st.Reason == metav1.StatusReasonExpired || st.Reason == metav1.StatusReasonGone
}

func statusMessage(obj runtime.Object) string {
	if st, ok := obj.(*metav1.Status); ok {
		return st.Message
	}
	return fmt.Sprintf("%T", obj)
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var errStopped = errors.New("the watch cache stopped")
