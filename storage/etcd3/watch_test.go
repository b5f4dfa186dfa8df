package etcd3

import (
	"context"
	"fmt"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
)

// next reads the next event; the test's own timeout bounds the wait.
func next(t *testing.T, w storage.Watcher) *storage.Event {
	t.Helper()
	e, ok := <-w.ResultChan()
	if !ok {
		t.Fatal("watch channel closed, want an event")
	}
	return e
}

// expect reads the next event and checks its type and object name.
func expect(t *testing.T, w storage.Watcher, typ watch.EventType, name string) *storage.Event {
	t.Helper()
	e := next(t, w)
	if e.Type != typ {
		t.Fatalf("got %s %v, want %s of %s", e.Type, e.Object, typ, name)
	}
	if cm, ok := e.Object.(*corev1.ConfigMap); ok && cm.Name != name {
		t.Fatalf("got %s of %s, want %s of %s", e.Type, cm.Name, typ, name)
	}
	if rv := e.Object.(metav1.Object).GetResourceVersion(); rv != strconv.FormatUint(e.ResourceVersion, 10) {
		t.Fatalf("%s event at %d carries an object at resourceVersion %s", e.Type, e.ResourceVersion, rv)
	}
	return e
}

func expectClosed(t *testing.T, w storage.Watcher) {
	t.Helper()
	for e := range w.ResultChan() {
		t.Fatalf("got %s after the watch should have ended", e.Type)
	}
}

func setData(k, v string) storage.UpdateFunc {
	return func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap)
		cm.Data = map[string]string{k: v}
		return cm, nil
	}
}

func setLabel(v string) storage.UpdateFunc {
	return func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap)
		cm.Labels = map[string]string{"app": v}
		return cm, nil
	}
}

func TestWatchEventTypes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/old", configMap("ns1", "old", nil, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "/configmaps/ns2/other", configMap("ns2", "other", nil, nil)); err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, "/configmaps/ns1", storage.ListOptions{Recursive: true, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	expect(t, w, watch.Added, "old")

	if _, err := s.Create(ctx, "/configmaps/ns2/ignored", configMap("ns2", "ignored", nil, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil)); err != nil {
		t.Fatal(err)
	}
	expect(t, w, watch.Added, "a")
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("k", "v")); err != nil {
		t.Fatal(err)
	}
	if e := expect(t, w, watch.Modified, "a"); e.Object.(*corev1.ConfigMap).Data["k"] != "v" {
		t.Fatalf("modified object %v lacks the update", e.Object)
	}
	deleted, err := s.Delete(ctx, "/configmaps/ns1/a", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := expect(t, w, watch.Deleted, "a")
	if e.Object.(*corev1.ConfigMap).Data["k"] != "v" || e.Object.(*corev1.ConfigMap).ResourceVersion != deleted.(*corev1.ConfigMap).ResourceVersion {
		t.Fatalf("deleted event %v, want the last state at the deletion revision %s", e.Object, deleted.(*corev1.ConfigMap).ResourceVersion)
	}

	w.Stop()
	expectClosed(t, w)
}

func TestWatchFromResourceVersion(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	first, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("k", "1")); err != nil {
		t.Fatal(err)
	}
	// Starting after the create replays only the update, then follows new changes.
	w, err := s.Watch(ctx, "/configmaps/ns1/a", storage.ListOptions{ResourceVersion: first.(*corev1.ConfigMap).ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	expect(t, w, watch.Modified, "a")
	if _, err := s.Create(ctx, "/configmaps/ns1/ab", configMap("ns1", "ab", nil, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("k", "2")); err != nil {
		t.Fatal(err)
	}
	// A watch of one key sees nothing of its neighbour ab.
	if e := expect(t, w, watch.Modified, "a"); e.Object.(*corev1.ConfigMap).Data["k"] != "2" {
		t.Fatalf("got %v, want k=2", e.Object)
	}
}

func TestWatchCompactedResourceVersion(t *testing.T) {
	s, e := newTestStore(t)
	ctx := context.Background()
	first, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("k", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := s.CurrentResourceVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Compact(ctx, int64(cur)); err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: first.(*corev1.ConfigMap).ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ev := next(t, w)
	status, ok := ev.Object.(*metav1.Status)
	if ev.Type != watch.Error || !ok {
		t.Fatalf("got %s %T, want ERROR with a Status", ev.Type, ev.Object)
	}
	want := "too old resource version: " + first.(*corev1.ConfigMap).ResourceVersion + " (" + strconv.FormatUint(cur, 10) + ")"
	if status.Code != 410 || status.Reason != metav1.StatusReasonExpired || status.Message != want {
		t.Fatalf("status %+v, want 410 Expired %q", status, want)
	}
	expectClosed(t, w)
}

func TestWatchBookmarksAndWatchList(t *testing.T) {
	e := startEtcd(t, embedded.Config{WatchProgressNotifyInterval: 50 * time.Millisecond})
	s := New(e.client, "/registry", configMapCodec)
	ctx := context.Background()
	created, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true, ProgressNotify: true, SendInitialEvents: &yes, ResourceVersionMatch: "NotOlderThan"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	expect(t, w, watch.Added, "a")
	end := next(t, w)
	if end.Type != watch.Bookmark || end.Object.(*corev1.ConfigMap).Annotations[initialEventsEndAnnotation] != "true" {
		t.Fatalf("got %s %v, want the initial-events-end bookmark", end.Type, end.Object)
	}
	if end.ResourceVersion < mustParse(t, created.(*corev1.ConfigMap).ResourceVersion) {
		t.Fatalf("initial-events-end at %d, before the object at %s", end.ResourceVersion, created.(*corev1.ConfigMap).ResourceVersion)
	}
	// A write outside the watched prefix moves the revision (etcd sends no progress to a watch
	// whose start revision is still in the future); its progress notifications then arrive as
	// bookmarks at that revision.
	put, err := e.client.Put(ctx, "/registry/secrets/ns1/x", "{}")
	if err != nil {
		t.Fatal(err)
	}
	bm := next(t, w)
	if bm.Type != watch.Bookmark || bm.Object.(*corev1.ConfigMap).Name != "" || bm.ResourceVersion < uint64(put.Header.Revision) {
		t.Fatalf("got %s %v at %d, want an empty bookmark at >= %d", bm.Type, bm.Object, bm.ResourceVersion, put.Header.Revision)
	}
	if got := bm.Object.(*corev1.ConfigMap).ResourceVersion; got != strconv.FormatUint(bm.ResourceVersion, 10) {
		t.Fatalf("bookmark object at resourceVersion %q, event at %d", got, bm.ResourceVersion)
	}
	if len(bm.Object.(*corev1.ConfigMap).Annotations) != 0 {
		t.Fatalf("progress bookmark carries annotations %v", bm.Object.(*corev1.ConfigMap).Annotations)
	}
}

func TestWatchListTooLargeResourceVersion(t *testing.T) {
	s, _ := newTestStore(t)
	yes := true
	_, err := s.Watch(context.Background(), "/configmaps/", storage.ListOptions{Recursive: true, SendInitialEvents: &yes, ResourceVersion: "100000"})
	if !storage.IsCode(err, storage.ErrCodeTooLargeResourceVersion) {
		t.Fatalf("got %v, want TooLargeResourceVersion", err)
	}
}

func mustParse(t *testing.T, rv string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWatchPredicate checks kube's filtering rules: updates moving an object into the selection
// are ADDED, out of it DELETED, and changes outside it are not seen.
func TestWatchPredicate(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/in", configMap("ns1", "in", map[string]string{"app": "web"}, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "/configmaps/ns1/out", configMap("ns1", "out", map[string]string{"app": "db"}, nil)); err != nil {
		t.Fatal(err)
	}
	no := false
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{
		Recursive:         true,
		SendInitialEvents: &no,
		Predicate:         storage.Predicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), GetAttrs: configMapAttrs},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	steps := []struct {
		key    string
		update storage.UpdateFunc
		typ    watch.EventType // "" means not seen
		name   string
	}{
		{"/configmaps/ns1/out", setData("k", "v"), "", ""},
		{"/configmaps/ns1/in", setData("k", "v"), watch.Modified, "in"},
		{"/configmaps/ns1/out", setLabel("web"), watch.Added, "out"},
		{"/configmaps/ns1/in", setLabel("db"), watch.Deleted, "in"},
		{"/configmaps/ns1/in", setData("k", "w"), "", ""},
	}
	for _, st := range steps {
		if _, err := s.GuaranteedUpdate(ctx, st.key, nil, false, st.update); err != nil {
			t.Fatal(err)
		}
		if st.typ != "" {
			e := expect(t, w, st.typ, st.name)
			if st.typ == watch.Deleted && e.Object.(*corev1.ConfigMap).Labels["app"] != "web" {
				t.Fatalf("deleted-by-filter event carries %v, want the object as it last matched", e.Object)
			}
		}
	}
	// A matching create after the unseen changes must be the very next event.
	if _, err := s.Create(ctx, "/configmaps/ns1/sentinel", configMap("ns1", "sentinel", map[string]string{"app": "web"}, nil)); err != nil {
		t.Fatal(err)
	}
	expect(t, w, watch.Added, "sentinel")
	if _, err := s.Delete(ctx, "/configmaps/ns1/out", nil, nil); err != nil {
		t.Fatal(err)
	}
	expect(t, w, watch.Deleted, "out")
}

func TestWatchEndsWithContext(t *testing.T) {
	s, _ := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	expectClosed(t, w)
	w.Stop() // after the end, Stop must not block or panic
}

// TestWatchRequestProgress pins what storage/factory relies on: RequestProgress with a context
// made by clientv3.WithRequireLeader reaches this store's watches as a bookmark.
func TestWatchRequestProgress(t *testing.T) {
	s, e := newTestStore(t)
	ctx := context.Background()
	created, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: created.(*corev1.ConfigMap).ResourceVersion, ProgressNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	put, err := e.client.Put(ctx, "/registry/secrets/ns1/x", "{}")
	if err != nil {
		t.Fatal(err)
	}
	// The watch may not be registered yet when the first request arrives; ask until it answers
	// (the test's timeout bounds the loop).
	got := make(chan *storage.Event, 1)
	go func() {
		if e, ok := <-w.ResultChan(); ok {
			got <- e
		}
		close(got)
	}()
	for {
		if err := e.client.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
			t.Fatal(err)
		}
		select {
		case bm := <-got:
			if bm == nil || bm.Type != watch.Bookmark || bm.ResourceVersion < uint64(put.Header.Revision) {
				t.Fatalf("got %v, want a bookmark at >= %d", bm, put.Header.Revision)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestWatchStopLeavesNoGoroutine starts watchers, stops them, and looks for their goroutines.
func TestWatchStopLeavesNoGoroutine(t *testing.T) {
	s, _ := newTestStore(t)
	var ws []storage.Watcher
	for range 10 {
		w, err := s.Watch(context.Background(), "/configmaps/", storage.ListOptions{Recursive: true})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	if n := watcherGoroutines(); n != 10 {
		t.Fatalf("%d watcher goroutines running, want 10", n)
	}
	for _, w := range ws {
		w.Stop()
	}
	if n := watcherGoroutines(); n != 0 {
		t.Fatalf("%d watcher goroutines left after Stop", n)
	}
}

func watcherGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:goruntime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		// A goroutine not yet started shows only the wrapper of the go statement.
		if strings.Contains(g, "etcd3.(*etcdWatcher).run(") || strings.Contains(g, "etcd3.(*Store).Watch.gowrap") {
			n++
		}
	}
	return n
}

// TestWatchInitialEventsPaged reads the initial state in small pages and checks every object
// arrives once, in key order, followed by later changes.
func TestWatchInitialEventsPaged(t *testing.T) {
	s, _ := newTestStore(t)
	s.initialPageSize = 3
	ctx := context.Background()
	fill(t, s, "ns1", 10)
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := s.Create(ctx, "/configmaps/ns0/later", configMap("ns0", "later", nil, nil)); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		expect(t, w, watch.Added, fmt.Sprintf("cm-%04d", i))
	}
	expect(t, w, watch.Added, "later")
}

func TestWatchFieldSelector(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	w, err := s.Watch(ctx, "/configmaps/", storage.ListOptions{
		Recursive: true,
		Predicate: storage.Predicate{Field: fields.OneTermEqualSelector("metadata.namespace", "ns2"), GetAttrs: configMapAttrs},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, ns := range []string{"ns1", "ns2", "ns3", "ns2"} {
		name := "cm-" + ns + "-" + strconv.Itoa(len(ns))
		if _, err := s.GuaranteedUpdate(ctx, "/configmaps/"+ns+"/"+name, nil, true, func(cur runtime.Object) (runtime.Object, error) {
			cm := cur.(*corev1.ConfigMap)
			cm.Namespace, cm.Name = ns, name
			cm.Data = map[string]string{"n": strconv.Itoa(len(cm.Data))}
			return cm, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, w, watch.Added, "cm-ns2-3")
	expect(t, w, watch.Modified, "cm-ns2-3")
}
