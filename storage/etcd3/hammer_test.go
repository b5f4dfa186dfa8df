package etcd3

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// TestHammerGuaranteedUpdate releases many goroutines at once, each incrementing one counter
// object many times; every increment must survive the lost compare-and-swaps. Run with -race.
func TestHammerGuaranteedUpdate(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const key = "/configmaps/ns1/counter"
	if _, err := s.Create(ctx, key, configMap("ns1", "counter", nil, map[string]string{"n": "0"})); err != nil {
		t.Fatal(err)
	}
	const workers, increments = 16, 20
	var tries atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range increments {
				_, err := s.GuaranteedUpdate(ctx, key, nil, false, func(cur runtime.Object) (runtime.Object, error) {
					tries.Add(1)
					cm := cur.(*corev1.ConfigMap)
					n, err := strconv.Atoi(cm.Data["n"])
					if err != nil {
						return nil, err
					}
					cm.Data["n"] = strconv.Itoa(n + 1)
					return cm, nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, key, storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.(*corev1.ConfigMap).Data["n"]; n != strconv.Itoa(workers*increments) {
		t.Fatalf("counter = %s, want %d (tryUpdate ran %d times)", n, workers*increments, tries.Load())
	}
	t.Logf("%d increments took %d tries", workers*increments, tries.Load())
}

// TestHammerCreate races many creates of one key: exactly one wins, the rest see KeyExists.
func TestHammerCreate(t *testing.T) {
	s, _ := newTestStore(t)
	const workers = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	var won, exists atomic.Int64
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Create(context.Background(), "/configmaps/ns1/one", configMap("ns1", "one", nil, map[string]string{"by": strconv.Itoa(i)}))
			switch {
			case err == nil:
				won.Add(1)
			case storage.IsCode(err, storage.ErrCodeKeyExists):
				exists.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || exists.Load() != workers-1 {
		t.Fatalf("%d creates won and %d saw KeyExists, want 1 and %d", won.Load(), exists.Load(), workers-1)
	}
}
