package watchcache

import (
	"slices"
	"strconv"
	"testing"

	"github.com/kapi-dev/kapi/storage"
)

// TestHandOverKeepsOrder: live events that arrive while a watch still sends its initial state
// follow that state in order; then the dispatcher delivers straight to the watch, and stopping it
// closes the channel and unregisters it.
func TestHandOverKeepsOrder(t *testing.T) {
	// A buffer far smaller than the initial state keeps the goroutine sending it while the
	// creates below are dispatched.
	e := newTestEnv(t, Options{WatcherBuffer: 4})
	var want []string
	var last uint64
	for i := range 20 {
		last = e.create(t, "ns", "a"+strconv.Itoa(i), nil)
		want = append(want, "ADDED ns/a"+strconv.Itoa(i)+"@"+strconv.FormatUint(last, 10))
	}
	e.cacheList(t, prefix, last, storage.Predicate{}) // the 20 are the watch's initial state
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true})
	for i := range 3 {
		rv := e.create(t, "ns", "b"+strconv.Itoa(i), nil)
		want = append(want, "ADDED ns/b"+strconv.Itoa(i)+"@"+strconv.FormatUint(rv, 10))
	}
	var got []string
	for range want {
		got = append(got, describe(next(t, w)))
	}
	// The initial state comes in the cache's order; the live events after it, in theirs.
	slices.Sort(got[:20])
	slices.Sort(want[:20])
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}

	rv := e.create(t, "ns", "c", nil)
	if ev := describe(next(t, w)); ev != "ADDED ns/c@"+strconv.FormatUint(rv, 10) {
		t.Fatalf("after the hand-over: %s", ev)
	}
	cw := w.(*cacheWatcher)
	cw.mu.Lock()
	direct := cw.direct
	cw.mu.Unlock()
	if !direct {
		t.Fatal("the watch never handed delivery over to the dispatcher")
	}

	w.Stop()
	if _, ok := <-w.ResultChan(); ok {
		t.Fatal("an event after Stop")
	}
	e.cache.mu.RLock()
	defer e.cache.mu.RUnlock()
	if len(e.cache.watchers) != 0 {
		t.Fatalf("%d watchers still registered after Stop", len(e.cache.watchers))
	}
}
