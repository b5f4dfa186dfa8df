package watchcache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// Cache is a watch cache in front of one resource's storage. It implements storage.Interface.
type Cache struct {
	underlying storage.Interface
	prefix     string // resource prefix, ending in "/"
	codec      storage.Codec
	opts       Options
	metrics    *cacheMetrics

	mu       sync.RWMutex
	ready    bool
	readyCh  chan struct{} // closed when the cache becomes ready; replaced when it stops being ready
	rv       uint64        // the newest revision the cache has caught up with
	rvCh     chan struct{} // closed and replaced whenever rv moves
	store    *objectStore
	buffer   *eventBuffer
	watchers []*cacheWatcher // copy-on-write: the dispatcher reads a snapshot without the lock

	waiting        atomic.Int32  // readers waiting for a newer rv
	progressWanted chan struct{} // wakes the progress requester

	cancel   context.CancelFunc
	done     chan struct{} // closed by Stop
	stopOnce sync.Once
	wg       sync.WaitGroup
}

var _ storage.Interface = (*Cache)(nil)

// New starts a cache of the objects below resourcePrefix (e.g. "/configmaps/") in underlying. It
// returns at once; reads and watches wait until the first list has filled the cache. Stop it with
// Stop.
func New(underlying storage.Interface, resourcePrefix string, codec storage.Codec, opts Options) (*Cache, error) {
	if underlying == nil {
		return nil, errors.New("watch cache: underlying storage is nil")
	}
	if codec.New == nil || codec.NewList == nil {
		return nil, fmt.Errorf("watch cache for %q: codec needs New and NewList", resourcePrefix)
	}
	if resourcePrefix == "" || resourcePrefix == "/" {
		return nil, fmt.Errorf("watch cache: resource prefix %q names no resource", resourcePrefix)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(resourcePrefix, "/") {
		resourcePrefix += "/"
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{
		underlying:     underlying,
		prefix:         resourcePrefix,
		codec:          codec,
		opts:           opts,
		metrics:        newCacheMetrics(opts),
		readyCh:        make(chan struct{}),
		rvCh:           make(chan struct{}),
		store:          newObjectStore(0),
		buffer:         newEventBuffer(opts.Capacity, opts.MaxCapacity, opts.EventFreshDuration),
		progressWanted: make(chan struct{}, 1),
		cancel:         cancel,
		done:           make(chan struct{}),
	}
	c.metrics.capacity(opts.Capacity)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.run(ctx)
	}()
	if opts.RequestProgress != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.requestProgressWhileWaited(ctx)
		}()
	}
	return c, nil
}

// Stop stops the cache's watch of the underlying store and ends every watch it serves. Reads
// that still come fail; writes still pass through. It is safe to call more than once.
func (c *Cache) Stop() {
	c.stopOnce.Do(func() {
		close(c.done)
		c.cancel()
		c.wg.Wait()
		c.terminateAllWatchers("the watch cache stopped")
		c.metrics.forget()
	})
}

// Create passes to the underlying store.
func (c *Cache) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	return c.underlying.Create(ctx, key, obj)
}

// GuaranteedUpdate passes to the underlying store, with the cached copy of the object as where
// to start when the store can use one.
func (c *Cache) GuaranteedUpdate(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc) (runtime.Object, error) {
	s, ok := c.underlying.(suggestingStore)
	if !ok {
		return c.underlying.GuaranteedUpdate(ctx, key, preconditions, ignoreNotFound, tryUpdate)
	}
	// The cached copy saves the store a read of etcd before its compare-and-swap, as kube's
	// cacher passes cachedExistingObject; a stale copy only costs the lost swap and a reread.
	var suggestion runtime.Object
	c.mu.RLock()
	if ev, found := c.store.get(key); found {
		suggestion = ev.Object
	}
	c.mu.RUnlock()
	return s.GuaranteedUpdateFrom(ctx, key, preconditions, ignoreNotFound, tryUpdate, suggestion)
}

// suggestingStore is an underlying store (storage/etcd3's) that can start an update from a cached
// copy of the object instead of reading it first. It must not change the suggestion.
type suggestingStore interface {
	GuaranteedUpdateFrom(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc, suggestion runtime.Object) (runtime.Object, error)
}

// Delete passes to the underlying store.
func (c *Cache) Delete(ctx context.Context, key string, preconditions *storage.Preconditions, validate func(current runtime.Object) error) (runtime.Object, error) {
	return c.underlying.Delete(ctx, key, preconditions, validate)
}

// CurrentResourceVersion asks the underlying store: the cache may lag behind it.
func (c *Cache) CurrentResourceVersion(ctx context.Context) (uint64, error) {
	return c.underlying.CurrentResourceVersion(ctx)
}

// Get serves reads at resourceVersion "0" or at a given revision from memory, once the cache has
// caught up with that revision; resourceVersion "" (a quorum read) goes to the underlying store.
// The returned object is the caller's own copy.
func (c *Cache) Get(ctx context.Context, key string, opts storage.GetOptions) (runtime.Object, error) {
	rv, ok := parseResourceVersion(opts.ResourceVersion)
	if opts.ResourceVersion == "" || !ok {
		// An unparsable resourceVersion is also delegated, so that the error is the store's.
		return c.underlying.Get(ctx, key, opts)
	}
	var obj runtime.Object
	var readRV uint64
	err := c.readFresh(ctx, key, rv, false, func() {
		if ev, found := c.store.get(key); found {
			obj = ev.Object
		}
		readRV = c.rv
	})
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, &storage.Error{Code: storage.ErrCodeKeyNotFound, Key: key, ResourceVersion: readRV}
	}
	return obj.DeepCopyObject(), nil
}

// GetList serves lists from memory unless kube's cacher would delegate them (see
// shouldDelegateList). Items are in key order; a list from memory ignores Limit (only with
// resourceVersion "0", as kube does) and carries the cache's resourceVersion. Typed items are
// copies of the cached structs that still share their maps and slices with the cache: callers
// may set an item's TypeMeta but must not change its contents.
func (c *Cache) GetList(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, error) {
	list, _, err := c.listFromMemory(ctx, key, opts, false)
	return list, err
}

var _ storage.EventLister = (*Cache)(nil)

// GetListWithEvents is GetList that, for a list served from memory, returns the object store's
// events holding the selected objects instead of the list's items, so that every list of an
// unchanged object shares one encoding of it; for a delegated list, events is nil.
func (c *Cache) GetListWithEvents(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, []*storage.Event, error) {
	return c.listFromMemory(ctx, key, opts, true)
}

// listFromMemory serves GetList (withEvents false: the items in the list) and GetListWithEvents
// (the events instead of the items), from memory unless the list is delegated.
func (c *Cache) listFromMemory(ctx context.Context, key string, opts storage.ListOptions, withEvents bool) (runtime.Object, []*storage.Event, error) {
	rv, ok := parseResourceVersion(opts.ResourceVersion)
	if !ok || shouldDelegateList(opts) {
		list, err := c.underlying.GetList(ctx, key, opts)
		return list, nil, err
	}
	prefix, exact := c.scope(key, opts.Recursive)
	var candidates []*storage.Event
	var readRV uint64
	err := c.readFresh(ctx, key, rv, false, func() {
		candidates = c.selectLocked(prefix, exact)
		readRV = c.rv
	})
	if err != nil {
		return nil, nil, err
	}
	events := make([]*storage.Event, 0, len(candidates))
	for _, ev := range candidates {
		match, err := opts.Predicate.Matches(ev.Object)
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s from the watch cache: %w", key, err)
		}
		if match {
			events = append(events, ev)
		}
	}
	list := c.codec.NewList()
	if !withEvents {
		objs := make([]runtime.Object, len(events))
		for i, ev := range events {
			objs[i] = ev.Object
			if _, shared := ev.Object.(runtime.Unstructured); shared {
				// A typed list copies each item's struct; an unstructured one would share the
				// cache's map, which the caller may write (apiVersion and kind, say).
				objs[i] = ev.Object.DeepCopyObject()
			}
		}
		if err := meta.SetList(list, objs); err != nil {
			return nil, nil, fmt.Errorf("listing %s from the watch cache: %w", key, err)
		}
		events = nil
	}
	listMeta, err := meta.ListAccessor(list)
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s from the watch cache: %w", key, err)
	}
	listMeta.SetResourceVersion(strconv.FormatUint(readRV, 10))
	return list, events, nil
}

// shouldDelegateList reports whether a list goes to the underlying store, as kube's cacher
// decides: a consistent read (resourceVersion ""), a continuation, a page at a resourceVersion
// other than "0" (the cache has no snapshots to page through), or an exact-match read.
func shouldDelegateList(opts storage.ListOptions) bool {
	rv := opts.ResourceVersion
	consistentRead := rv == ""
	hasContinuation := opts.Predicate.Continue != ""
	hasLimit := opts.Predicate.Limit > 0 && rv != "0"
	unsupportedMatch := opts.ResourceVersionMatch != "" && opts.ResourceVersionMatch != string(metav1.ResourceVersionMatchNotOlderThan)
	return consistentRead || hasContinuation || hasLimit || unsupportedMatch
}

// scope turns a key into what it selects: every key below prefix when recursive, else one key.
func (c *Cache) scope(key string, recursive bool) (prefix string, exact bool) {
	if recursive {
		if !strings.HasSuffix(key, "/") {
			key += "/"
		}
		return key, false
	}
	return key, true
}

// selectLocked returns the stored objects a scope selects, in key order.
func (c *Cache) selectLocked(prefix string, exact bool) []*storage.Event {
	if !exact {
		return c.store.scan(prefix)
	}
	if ev, ok := c.store.get(prefix); ok {
		return []*storage.Event{ev}
	}
	return nil
}

// readFresh waits until the cache is ready and has caught up with rv, then calls read with the
// cache read-locked (write-locked when exclusive, for reads that also register a watcher). It fails when ctx ends, when the cache stops, or with "Too large resource
// version" when the cache is still behind rv after Options.FreshnessTimeout.
func (c *Cache) readFresh(ctx context.Context, key string, rv uint64, exclusive bool, read func()) error {
	var deadline <-chan time.Time
	registered := false
	defer func() {
		if registered {
			c.waiting.Add(-1)
		}
	}()
	lock, unlock := c.mu.RLock, c.mu.RUnlock
	if exclusive {
		lock, unlock = c.mu.Lock, c.mu.Unlock
	}
	for {
		select {
		case <-c.done:
			return notReady(key, errStopped)
		default:
		}
		lock()
		if c.ready && c.rv >= rv {
			read()
			unlock()
			return nil
		}
		ready, readyCh, rvCh, current := c.ready, c.readyCh, c.rvCh, c.rv
		unlock()

		wake := readyCh
		if ready {
			// Behind rv: wait for it, for a bounded time, asking etcd for progress meanwhile.
			wake = rvCh
			if deadline == nil {
				timer := time.NewTimer(c.opts.FreshnessTimeout)
				defer timer.Stop()
				deadline = timer.C
			}
			if !registered {
				registered = true
				c.waiting.Add(1)
				select {
				case c.progressWanted <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-wake:
		case <-deadline:
			return &storage.Error{
				Code:            storage.ErrCodeTooLargeResourceVersion,
				Key:             key,
				ResourceVersion: rv,
				Message:         fmt.Sprintf("Too large resource version: %d, current: %d", rv, current),
			}
		case <-ctx.Done():
			return notReady(key, ctx.Err())
		case <-c.done:
			return notReady(key, errStopped)
		}
	}
}

func notReady(key string, err error) error {
	return &storage.Error{Code: storage.ErrCodeUnreachable, Key: key, Message: "the watch cache is not ready", Err: err}
}

// parseResourceVersion parses a resourceVersion parameter; "" and "0" are 0.
func parseResourceVersion(s string) (uint64, bool) {
	if s == "" {
		return 0, true
	}
	rv, err := strconv.ParseUint(s, 10, 64)
	return rv, err == nil
}

// keyOf is the key an object is stored at: prefix + namespace + "/" + name, or prefix + name for
// an object without namespace.
func (c *Cache) keyOf(obj runtime.Object) (string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", err
	}
	if m.GetName() == "" {
		return "", errors.New("object has no name")
	}
	if ns := m.GetNamespace(); ns != "" {
		return c.prefix + ns + "/" + m.GetName(), nil
	}
	return c.prefix + m.GetName(), nil
}

// setResourceVersion sets obj's resourceVersion, if it has object metadata.
func setResourceVersion(obj runtime.Object, rv uint64) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetResourceVersion(strconv.FormatUint(rv, 10))
	}
}

// resourceVersionOf reads obj's resourceVersion; 0 when it has none.
func resourceVersionOf(obj runtime.Object) uint64 {
	m, err := meta.Accessor(obj)
	if err != nil {
		return 0
	}
	rv, _ := strconv.ParseUint(m.GetResourceVersion(), 10, 64)
	return rv
}
