package etcd3

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
)

// TestReplicasShareOneCluster is the scale-out picture in small: two stores (two kapi
// replicas) on clients of different members of one etcd cluster. A write through one reaches a
// watcher of the other, also after a third member is lost.
func TestReplicasShareOneCluster(t *testing.T) {
	ctx := context.Background()
	members, err := embedded.StartCluster(ctx, []string{t.TempDir(), t.TempDir(), t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		t.Cleanup(func() { m.Close() })
	}
	replica := func(m *embedded.Etcd) *Store {
		c, err := m.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return New(c, "/registry", configMapCodec)
	}
	a, b := replica(members[0]), replica(members[1])

	w, err := b.Watch(ctx, "/configmaps/", storage.ListOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created, err := a.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if e := expect(t, w, watch.Added, "a"); e.Object.(metav1.Object).GetResourceVersion() != created.(metav1.Object).GetResourceVersion() {
		t.Fatalf("replica b saw resourceVersion %d, replica a wrote %v", e.ResourceVersion, created)
	}

	if err := members[2].Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("k", "v")); err != nil {
		t.Fatal(err)
	}
	expect(t, w, watch.Modified, "a")
	got, err := b.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.(metav1.Object).GetResourceVersion() == created.(metav1.Object).GetResourceVersion() {
		t.Fatal("replica b read the object as it was before a's update")
	}
}
