package watchcache

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// breakableStore is the real etcd3 store with a switch that ends its open watches and one that
// holds new watches back, to break the cache's feed the way a lost etcd connection does.
type breakableStore struct {
	*etcd3.Store

	mu      sync.Mutex
	open    []storage.Watcher
	gate    chan struct{} // while non-nil and open, Watch waits for it to close
	watches int           // Watch calls that reached etcd
}

func (b *breakableStore) Watch(ctx context.Context, key string, opts storage.ListOptions) (storage.Watcher, error) {
	b.mu.Lock()
	gate := b.gate
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	w, err := b.Store.Watch(ctx, key, opts)
	if err == nil {
		b.mu.Lock()
		b.open = append(b.open, w)
		b.watches++
		b.mu.Unlock()
	}
	return w, err
}

// breakWatches ends every open watch; with hold, new watches wait until release.
func (b *breakableStore) breakWatches(hold bool) {
	b.mu.Lock()
	open := b.open
	b.open = nil
	if hold {
		b.gate = make(chan struct{})
	}
	b.mu.Unlock()
	for _, w := range open {
		w.Stop()
	}
}

func (b *breakableStore) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gate != nil {
		close(b.gate)
		b.gate = nil
	}
}

func (b *breakableStore) watchCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.watches
}

// TestRewatchAfterTheFeedBreaks: when the underlying watch ends, the cache watches again from the
// newest revision it saw, loses nothing, and keeps its own watchers.
func TestRewatchAfterTheFeedBreaks(t *testing.T) {
	client := startEtcd(t)
	bs := &breakableStore{Store: etcd3.New(client, "/registry", configMapCodec)}
	e := newTestEnvOn(t, client, bs, Options{})
	e.store = bs.Store
	rv := e.create(t, "ns", "a", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true})

	before := bs.watchCount()
	bs.breakWatches(false)
	rvB := e.create(t, "ns", "b", nil)
	if got, want := describe(next(t, w)), "ADDED ns/b@"+strconv.FormatUint(rvB, 10); got != want {
		t.Fatalf("event after the feed broke = %s, want %s", got, want)
	}
	if bs.watchCount() <= before {
		t.Fatal("the cache did not watch etcd again")
	}
}

// TestRelistAfterCompaction: the feed breaks and etcd compacts past the cache's revision before
// the cache can watch again; the cache gets 410, relists, ends its watches (their clients relist
// too), and then serves the new state.
func TestRelistAfterCompaction(t *testing.T) {
	client := startEtcd(t)
	bs := &breakableStore{Store: etcd3.New(client, "/registry", configMapCodec)}
	e := newTestEnvOn(t, client, bs, Options{})
	e.store = bs.Store
	e.waitListed(t) // the watch below starts from the first write's revision
	rv := e.create(t, "ns", "a", nil)
	e.create(t, "ns", "b", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	old := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true})

	bs.breakWatches(true)
	e.create(t, "ns", "c", nil)
	e.remove(t, "ns", "a")
	last := e.update(t, "ns", "b", nil, "after")
	if _, err := client.Compact(context.Background(), int64(last)); err != nil {
		t.Fatal(err)
	}
	bs.release()

	// The old watcher's channel closes (after the events it already had, if any).
	for range old.ResultChan() {
	}
	got := names(e.cacheList(t, prefix, last, storage.Predicate{}))
	fromEtcd, err := bs.Store.GetList(context.Background(), prefix, storage.ListOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := names(fromEtcd.(*corev1.ConfigMapList)); !slices.Equal(got, want) {
		t.Fatalf("cache after relist = %v, etcd = %v", got, want)
	}
	// A watch from before the relist is too old; one from the new state works.
	if _, err := e.cache.Watch(context.Background(), prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true}); !storage.IsCode(err, storage.ErrCodeResourceExpired) {
		t.Fatalf("watch from before the relist: %v, want too old", err)
	}
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(last, 10), Recursive: true})
	rvD := e.create(t, "ns", "d", nil)
	if got, want := describe(next(t, w)), "ADDED ns/d@"+strconv.FormatUint(rvD, 10); got != want {
		t.Fatalf("event after relist = %s, want %s", got, want)
	}
}
