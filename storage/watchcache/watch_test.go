package watchcache

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// collect receives n events and describes them.
func collect(t *testing.T, w storage.Watcher, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		out = append(out, describe(next(t, w)))
	}
	return out
}

func TestWatchReplaysFromOldResourceVersion(t *testing.T) {
	e := newTestEnv(t, Options{})
	rvA := e.create(t, "ns", "a", nil)
	rvB := e.create(t, "ns", "b", nil)
	rvB2 := e.update(t, "ns", "b", nil, "1")
	rvDel := e.remove(t, "ns", "a")
	e.cacheList(t, prefix, rvDel, storage.Predicate{})

	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rvA, 10), Recursive: true})
	want := []string{
		"ADDED ns/b@" + strconv.FormatUint(rvB, 10),
		"MODIFIED ns/b@" + strconv.FormatUint(rvB2, 10),
		"DELETED ns/a@" + strconv.FormatUint(rvDel, 10),
	}
	got := collect(t, w, 3)
	// A deleted object's resourceVersion is the deletion's revision as the store reports it;
	// compare the event types and names, and the revisions of the others.
	if got[0] != want[0] || got[1] != want[1] || !strings.HasPrefix(got[2], "DELETED ns/a@") {
		t.Fatalf("replay = %v, want %v", got, want)
	}
	// Then live events follow.
	rvC := e.create(t, "ns", "c", nil)
	if got := describe(next(t, w)); got != "ADDED ns/c@"+strconv.FormatUint(rvC, 10) {
		t.Fatalf("live event = %s", got)
	}
}

func TestWatchTooOldResourceVersionIsExpired(t *testing.T) {
	e := newTestEnv(t, Options{Capacity: 4, MaxCapacity: 4})
	first := e.create(t, "ns", "cm0", nil)
	var last uint64
	for i := 1; i < 10; i++ {
		last = e.create(t, "ns", "cm"+strconv.Itoa(i), nil)
	}
	e.cacheList(t, prefix, last, storage.Predicate{})
	_, err := e.cache.Watch(context.Background(), prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(first, 10), Recursive: true})
	if !storage.IsCode(err, storage.ErrCodeResourceExpired) || !strings.Contains(err.Error(), "too old resource version") {
		t.Fatalf("watch from a revision the buffer lost: %v, want too old resource version", err)
	}
	// The four newest events are still there.
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(last-4, 10), Recursive: true})
	if got := collect(t, w, 4); !strings.HasPrefix(got[0], "ADDED ns/cm6@") || !strings.HasPrefix(got[3], "ADDED ns/cm9@") {
		t.Fatalf("replay of the buffer = %v", got)
	}
}

func TestWatchFromCurrentState(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.create(t, "ns", "b", nil)
	e.create(t, "ns", "a", nil)
	last := e.create(t, "other", "c", nil)
	e.cacheList(t, prefix, last, storage.Predicate{})
	yes, no := true, false

	cases := []struct {
		name string
		key  string
		opts storage.ListOptions
		want []string // event type and name, without revisions
	}{
		{"rv 0", prefix, storage.ListOptions{ResourceVersion: "0"}, []string{"ADDED ns/a", "ADDED ns/b", "ADDED other/c"}},
		{"rv unset", prefix, storage.ListOptions{}, []string{"ADDED ns/a", "ADDED ns/b", "ADDED other/c"}},
		{"namespace", prefix + "ns/", storage.ListOptions{ResourceVersion: "0"}, []string{"ADDED ns/a", "ADDED ns/b"}},
		{"one object", keyFor("ns", "b"), storage.ListOptions{ResourceVersion: "0"}, []string{"ADDED ns/b"}},
		{"watch list", prefix + "other/", storage.ListOptions{SendInitialEvents: &yes, ResourceVersionMatch: "NotOlderThan", ProgressNotify: true}, []string{"ADDED other/c", "BOOKMARK initial-events-end"}},
		{"watch list at rv", prefix + "other/", storage.ListOptions{ResourceVersion: strconv.FormatUint(last, 10), SendInitialEvents: &yes, ResourceVersionMatch: "NotOlderThan"}, []string{"ADDED other/c", "BOOKMARK initial-events-end"}},
		{"no initial events", prefix, storage.ListOptions{ResourceVersion: "0", SendInitialEvents: &no}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Recursive = !strings.HasSuffix(tc.key, "/b")
			w := e.watch(t, tc.key, tc.opts)
			var got []string
			for range tc.want {
				ev := next(t, w)
				if ev.Type == watch.Bookmark {
					cm := ev.Object.(*corev1.ConfigMap)
					if cm.Annotations["k8s.io/initial-events-end"] != "true" || cm.ResourceVersion == "" {
						t.Errorf("bookmark object %+v lacks the annotation or a resourceVersion", cm.ObjectMeta)
					}
					got = append(got, "BOOKMARK initial-events-end")
					continue
				}
				d := describe(ev)
				got = append(got, d[:strings.Index(d, "@")])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("initial events = %v, want %v", got, tc.want)
			}
			// The next event is a live one, for every case: a change within every scope.
			rv := e.update(t, "ns", "b", nil, tc.name)
			e.update(t, "other", "c", nil, tc.name)
			ev := next(t, w)
			if tc.key == prefix+"other/" {
				return
			}
			if got, want := describe(ev), "MODIFIED ns/b@"+strconv.FormatUint(rv, 10); got != want {
				t.Errorf("live event = %s, want %s", got, want)
			}
		})
	}
}

// TestWatchPredicateTransitions: a watch with a label selector sees an object that starts
// matching as ADDED and one that stops matching as DELETED (the old state at the new revision).
func TestWatchPredicateTransitions(t *testing.T) {
	e := newTestEnv(t, Options{})
	start := e.create(t, "ns", "a", map[string]string{"team": "blue"})
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(start, 10), Recursive: true, Predicate: labelPredicate(t, "team=red")})

	rv1 := e.update(t, "ns", "a", map[string]string{"team": "red"}, "1")
	rv2 := e.update(t, "ns", "a", map[string]string{"team": "red"}, "2")
	rv3 := e.update(t, "ns", "a", map[string]string{"team": "blue"}, "3")
	e.update(t, "ns", "a", map[string]string{"team": "blue"}, "4") // invisible
	rv5 := e.create(t, "ns", "b", map[string]string{"team": "red"})

	want := []string{
		"ADDED ns/a@" + strconv.FormatUint(rv1, 10),
		"MODIFIED ns/a@" + strconv.FormatUint(rv2, 10),
		"DELETED ns/a@" + strconv.FormatUint(rv3, 10),
		"ADDED ns/b@" + strconv.FormatUint(rv5, 10),
	}
	var got []string
	var deleted *corev1.ConfigMap
	for range want {
		ev := next(t, w)
		got = append(got, describe(ev))
		if ev.Type == watch.Deleted {
			deleted = ev.Object.(*corev1.ConfigMap)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if deleted.Labels["team"] != "red" || deleted.Data["v"] != "2" {
		t.Errorf("DELETED carries %v %v, want the last matching state", deleted.Labels, deleted.Data)
	}
}

// TestFanOutSharesOneEvent: a thousand watchers all receive a change, as the same *Event.
func TestFanOutSharesOneEvent(t *testing.T) {
	e := newTestEnv(t, Options{})
	rv := e.create(t, "ns", "seed", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	const n = 1000
	watchers := make([]storage.Watcher, n)
	for i := range watchers {
		watchers[i] = e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true})
	}
	e.create(t, "ns", "shared", nil)
	received := make([]*storage.Event, n)
	var wg sync.WaitGroup
	for i, w := range watchers {
		wg.Go(func() {
			select {
			case received[i] = <-w.ResultChan():
			case <-t.Context().Done():
			}
		})
	}
	wg.Wait()
	for i, ev := range received {
		if ev == nil {
			t.Fatalf("watcher %d received nothing", i)
		}
		if ev != received[0] {
			t.Fatalf("watcher %d received a different *Event than watcher 0", i)
		}
	}
	if got := describe(received[0]); !strings.HasPrefix(got, "ADDED ns/shared@") {
		t.Fatalf("event = %s", got)
	}
}

// TestSlowWatcherIsTerminated: a watcher that never reads is cut off, and a fast one keeps
// receiving every event.
func TestSlowWatcherIsTerminated(t *testing.T) {
	// A generous dispatch wait, so that only a consumer that really stopped reading is cut off.
	e := newTestEnv(t, Options{WatcherBuffer: 2, DispatchTimeout: time.Second})
	rv := e.create(t, "ns", "seed", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	from := storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true}
	slow := e.watch(t, prefix, from)
	fast := e.watch(t, prefix, from)

	const n = 20
	got := make(chan []string, 1)
	go func() {
		var names []string
		for range n {
			ev, ok := <-fast.ResultChan()
			if !ok {
				break
			}
			names = append(names, describe(ev))
		}
		got <- names
	}()
	for i := range n {
		e.create(t, "ns", "cm"+strconv.Itoa(i), nil)
	}
	if names := <-got; len(names) != n {
		t.Fatalf("fast watcher got %d events, want %d: %v", len(names), n, names)
	}
	// The slow watcher's channel ends after at most what its buffers held.
	count := 0
	for range slow.ResultChan() {
		count++
	}
	if count >= n {
		t.Fatalf("slow watcher received all %d events; it should have been cut off", count)
	}
}

// TestWatchStopsWithContext: ending the watch's context ends the watch.
func TestWatchStopsWithContext(t *testing.T) {
	e := newTestEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	w, err := e.cache.Watch(ctx, prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range w.ResultChan() {
	}
	e.cache.mu.RLock()
	defer e.cache.mu.RUnlock()
	if len(e.cache.watchers) != 0 {
		t.Fatalf("%d watchers still registered", len(e.cache.watchers))
	}
}

// TestPeriodicBookmarks: watchers that asked for bookmarks get them at the cache's revision;
// others never see one.
func TestPeriodicBookmarks(t *testing.T) {
	e := newTestEnv(t, Options{BookmarkInterval: 20 * time.Millisecond})
	rv := e.create(t, "ns", "a", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	from := strconv.FormatUint(rv, 10)
	withBookmarks := e.watch(t, prefix, storage.ListOptions{ResourceVersion: from, Recursive: true, ProgressNotify: true})
	without := e.watch(t, prefix, storage.ListOptions{ResourceVersion: from, Recursive: true})

	for range 2 {
		ev := next(t, withBookmarks)
		if ev.Type != watch.Bookmark {
			t.Fatalf("got %s, want a BOOKMARK", describe(ev))
		}
		if got := resourceVersionOf(ev.Object); got < rv || got != ev.ResourceVersion {
			t.Fatalf("bookmark object resourceVersion %d (event %d), want >= %d", got, ev.ResourceVersion, rv)
		}
	}
	rvB := e.create(t, "ns", "b", nil)
	if got, want := describe(next(t, without)), "ADDED ns/b@"+strconv.FormatUint(rvB, 10); got != want {
		t.Fatalf("watcher without bookmarks got %s first, want %s", got, want)
	}
}

// TestWatchFromAFutureRevision starts after a revision the cache has not reached: the events up
// to it are skipped, later ones delivered.
func TestWatchFromAFutureRevision(t *testing.T) {
	e := newTestEnv(t, Options{})
	rv := e.create(t, "ns", "a", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	w := e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv+1, 10), Recursive: true})
	e.create(t, "ns", "skipped", nil) // at rv+1
	rvC := e.create(t, "ns", "c", nil)
	if got, want := describe(next(t, w)), "ADDED ns/c@"+strconv.FormatUint(rvC, 10); got != want {
		t.Fatalf("first event %s, want %s", got, want)
	}
}

// TestReplayKeepsToTheWatchedScope pins that a watch from an old revision replays only the
// changes below its key: a namespaced watch must never see another namespace's events.
func TestReplayKeepsToTheWatchedScope(t *testing.T) {
	e := newTestEnv(t, Options{})
	first := e.create(t, "ns-a", "one", nil)
	e.create(t, "ns-b", "other", nil)
	e.create(t, "ns-a", "two", nil)
	w := e.watch(t, prefix+"ns-a/", storage.ListOptions{ResourceVersion: strconv.FormatUint(first, 10), Recursive: true})
	e.create(t, "ns-b", "later", nil)
	e.create(t, "ns-a", "three", nil)
	got := collect(t, w, 2)
	if !strings.HasPrefix(got[0], "ADDED ns-a/two@") || !strings.HasPrefix(got[1], "ADDED ns-a/three@") {
		t.Fatalf("namespaced watch saw %v, want only ns-a/two and ns-a/three", got)
	}
}
