package watchcache

import (
	"context"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// BenchmarkDispatch1000 is the cache's part of a watch fan-out: one event handed to 1,000
// watchers of the resource, timed until every watcher's ResultChan has delivered it.
func BenchmarkDispatch1000(b *testing.B) {
	const watchers = 1000
	e := newTestEnv(b, Options{})
	noState := false
	var got sync.WaitGroup
	for range watchers {
		w, err := e.cache.Watch(context.Background(), prefix, storage.ListOptions{ResourceVersion: "0", SendInitialEvents: &noState, Recursive: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(w.Stop)
		go func() {
			for range w.ResultChan() {
				got.Done()
			}
		}()
	}
	e.cache.mu.RLock()
	rv, registered := e.cache.rv, e.cache.watchers
	e.cache.mu.RUnlock()
	obj := configMap("ns", "cm", nil, map[string]string{"k": "v"})
	b.ReportAllocs()
	for b.Loop() {
		rv++
		ev := &storage.Event{Type: watch.Modified, Object: obj, ResourceVersion: rv}
		got.Add(watchers)
		e.cache.dispatch(&cacheEvent{event: ev, key: keyFor("ns", "cm"), prev: obj}, registered)
		got.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/watchers, "ns/watcher")
}
