package watchcache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// TestHammer releases writers, watchers and readers at once (run it with -race). Every watcher
// rebuilds the state from its events, rewatching from the last revision it saw whenever the cache
// ends its watch (as a client does after a slow-consumer cut-off), and must end with exactly
// etcd's state.
func TestHammer(t *testing.T) {
	const writers, watchers, readers, opsPerWriter = 4, 6, 4, 40
	e := newTestEnv(t, Options{WatcherBuffer: 4, DispatchTimeout: 1_000_000}) // 1ms: cut-offs happen
	seed := e.create(t, "ns", "seed", nil)
	e.cacheList(t, prefix, seed, storage.Predicate{})

	start := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, writers+watchers+readers)
	var writersWG, watchersWG, readersWG sync.WaitGroup
	for w := range writers {
		writersWG.Go(func() {
			<-start
			if err := hammerWrites(ctx, e.cache, w, opsPerWriter); err != nil {
				errs <- err
			}
		})
	}
	states := make([]map[string]string, watchers)
	for i := range watchers {
		watchersWG.Go(func() {
			<-start
			state, err := hammerWatch(ctx, e.cache)
			states[i] = state
			if err != nil {
				errs <- err
			}
		})
	}
	for range readers {
		readersWG.Go(func() {
			<-start
			for ctx.Err() == nil {
				if _, err := e.cache.GetList(ctx, prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true}); err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("list: %w", err)
					}
					return
				}
				if _, err := e.cache.Get(ctx, keyFor("ns", "seed"), storage.GetOptions{ResourceVersion: "0"}); err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("get: %w", err)
					}
					return
				}
			}
		})
	}
	close(start)
	writersWG.Wait()
	// Every write is done: the sentinel, last of all, tells the watchers they have seen them all.
	e.create(t, "ns", "zz-sentinel", nil)
	watchersWG.Wait()
	cancel()
	readersWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	list, err := e.store.GetList(context.Background(), prefix, storage.ListOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, cm := range list.(*corev1.ConfigMapList).Items {
		want[cm.Namespace+"/"+cm.Name] = cm.ResourceVersion
	}
	delete(want, "ns/zz-sentinel")
	for i, got := range states {
		if !maps.Equal(got, want) {
			t.Errorf("watcher %d ended with %d objects, etcd has %d:\n got %v\nwant %v", i, len(got), len(want), got, want)
		}
	}
}

// hammerWrites creates, updates and deletes a writer's own objects, then creates its "last" one.
func hammerWrites(ctx context.Context, c *Cache, w, ops int) error {
	for i := range ops {
		name := fmt.Sprintf("w%d-%d", w, i%5)
		key := keyFor("ns", name)
		var err error
		switch i % 3 {
		case 0:
			_, err = c.Create(ctx, key, configMap("ns", name, nil, map[string]string{"i": strconv.Itoa(i)}))
			if storage.IsCode(err, storage.ErrCodeKeyExists) {
				err = nil
			}
		case 1:
			_, err = c.GuaranteedUpdate(ctx, key, nil, true, func(cur runtime.Object) (runtime.Object, error) {
				cm := cur.DeepCopyObject().(*corev1.ConfigMap)
				cm.Namespace, cm.Name = "ns", name
				cm.Data = map[string]string{"i": strconv.Itoa(i)}
				return cm, nil
			})
		case 2:
			_, err = c.Delete(ctx, key, nil, nil)
			if storage.IsCode(err, storage.ErrCodeKeyNotFound) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("writer %d op %d: %w", w, i, err)
		}
	}
	name := fmt.Sprintf("w%d-last", w)
	_, err := c.Create(ctx, keyFor("ns", name), configMap("ns", name, nil, nil))
	return err
}

// hammerWatch follows the resource from its current state until the sentinel appears, resuming
// after every cut-off, and returns the state it built (without the sentinel).
func hammerWatch(ctx context.Context, c *Cache) (map[string]string, error) {
	state := map[string]string{}
	list, err := c.GetList(ctx, prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true})
	if err != nil {
		return state, fmt.Errorf("list: %w", err)
	}
	for _, cm := range list.(*corev1.ConfigMapList).Items {
		state[cm.Namespace+"/"+cm.Name] = cm.ResourceVersion
	}
	rv := list.(*corev1.ConfigMapList).ResourceVersion
	for {
		w, err := c.Watch(ctx, prefix, storage.ListOptions{ResourceVersion: rv, Recursive: true})
		if err != nil {
			return state, fmt.Errorf("watch from %s: %w", rv, err)
		}
		for ev := range w.ResultChan() {
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok {
				return state, fmt.Errorf("event object %T", ev.Object)
			}
			name := cm.Namespace + "/" + cm.Name
			switch ev.Type {
			case watch.Added, watch.Modified:
				state[name] = cm.ResourceVersion
			case watch.Deleted:
				delete(state, name)
			}
			rv = strconv.FormatUint(ev.ResourceVersion, 10)
			if cm.Name == "zz-sentinel" {
				w.Stop()
				delete(state, name)
				return state, nil
			}
		}
		if ctx.Err() != nil {
			return state, errors.New("the test ended before the sentinel arrived")
		}
		// Cut off as a slow consumer: resume from the last revision seen, as a client does.
	}
}
