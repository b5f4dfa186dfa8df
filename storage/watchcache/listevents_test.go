package watchcache

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// TestGetListWithEvents: a list served from memory comes with the object store's events instead
// of items, one per object GetList would list and in order, shared by every such list (so
// encodings cached on them are too); a delegated list comes whole, with none.
func TestGetListWithEvents(t *testing.T) {
	e := newTestEnv(t, Options{})
	var last uint64
	for i := range 4 {
		last = e.create(t, "ns"+strconv.Itoa(i%2), "cm"+strconv.Itoa(i), map[string]string{"parity": strconv.Itoa(i % 2)})
	}
	e.cacheList(t, prefix, last, storage.Predicate{}) // caught up
	rv := strconv.FormatUint(last, 10)

	opts := storage.ListOptions{ResourceVersion: rv, Recursive: true, Predicate: labelPredicate(t, "parity=1")}
	list, events, err := e.cache.GetListWithEvents(context.Background(), prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	if l := list.(*corev1.ConfigMapList); len(l.Items) != 0 || l.ResourceVersion == "" {
		t.Errorf("the list beside the events has %d items and resourceVersion %q, want none and one", len(l.Items), l.ResourceVersion)
	}
	full, err := e.cache.GetList(context.Background(), prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	items := full.(*corev1.ConfigMapList).Items
	if len(items) != 2 || len(events) != len(items) {
		t.Fatalf("%d items, %d events; want 2 and 2", len(items), len(events))
	}
	for i, ev := range events {
		cm, ok := ev.Object.(*corev1.ConfigMap)
		if !ok || ev.Type != watch.Added || cm.Name != items[i].Name || cm.ResourceVersion != items[i].ResourceVersion {
			t.Errorf("event %d: %s %+v for item %s", i, ev.Type, ev.Object, items[i].Name)
		}
	}
	_, again, err := e.cache.GetListWithEvents(context.Background(), prefix+"ns1/", storage.ListOptions{ResourceVersion: "0", Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || again[0] != events[0] || again[1] != events[1] {
		t.Errorf("a second list got other events: %v, first %v", again, events)
	}

	_, delegated, err := e.cache.GetListWithEvents(context.Background(), prefix, storage.ListOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if delegated != nil {
		t.Errorf("a consistent list, served by etcd, came with %d events", len(delegated))
	}
}
