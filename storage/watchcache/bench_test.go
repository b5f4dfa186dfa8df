package watchcache

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kapi-dev/kapi/storage"
)

// BenchmarkListFromCache1000 lists 1,000 small ConfigMaps at resourceVersion "0", the list every
// informer starts with, served from memory.
func BenchmarkListFromCache1000(b *testing.B) {
	e := newTestEnv(b, Options{})
	ctx := context.Background()
	var last uint64
	for i := range 1000 {
		name := "cm" + strconv.Itoa(i)
		obj, err := e.store.Create(ctx, keyFor("ns"+strconv.Itoa(i%10), name), configMap("ns"+strconv.Itoa(i%10), name, map[string]string{"app": "bench"}, map[string]string{"k": "v"}))
		if err != nil {
			b.Fatal(err)
		}
		last = resourceVersionOf(obj)
	}
	e.cacheList(b, prefix, last, storage.Predicate{})
	opts := storage.ListOptions{ResourceVersion: "0", Recursive: true}
	b.ReportAllocs()
	for b.Loop() {
		list, err := e.cache.GetList(ctx, prefix, opts)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(list.(*corev1.ConfigMapList).Items); n != 1000 {
			b.Fatalf("%d items", n)
		}
	}
}
