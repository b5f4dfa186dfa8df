package watchcache

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// TestUpdateFromAStaleCopyLosesNothing pins that starting an update from the cached copy never
// costs a write: increments made straight to etcd (so the cache's copy lags) and increments
// through the cache, interleaved, all count.
func TestUpdateFromAStaleCopyLosesNothing(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.create(t, "ns", "counter", nil)
	increment := func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.DeepCopyObject().(*corev1.ConfigMap)
		n, _ := strconv.Atoi(cm.Data["v"])
		cm.Data = map[string]string{"v": strconv.Itoa(n + 1)}
		return cm, nil
	}
	ctx := context.Background()
	const rounds = 20
	for i := 0; i < rounds; i++ {
		if _, err := e.store.GuaranteedUpdate(ctx, keyFor("ns", "counter"), nil, false, increment); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cache.GuaranteedUpdate(ctx, keyFor("ns", "counter"), nil, false, increment); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.store.Get(ctx, keyFor("ns", "counter"), storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := got.(*corev1.ConfigMap).Data["v"]; v != strconv.Itoa(2*rounds) {
		t.Fatalf("counter is %s after %d increments", v, 2*rounds)
	}
}
