package etcd3

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/storage/embedded"
)

// compacted reports whether etcd has compacted revision rev away.
func compacted(t *testing.T, c *clientv3.Client, rev int64) bool {
	t.Helper()
	_, err := c.Get(context.Background(), "/any", clientv3.WithRev(rev))
	if err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatal(err)
	}
	return err != nil
}

// TestCompactorRounds drives two compactors round by round: the first to claim a round compacts
// to the revision of the previous round, the other only catches up.
func TestCompactorRounds(t *testing.T) {
	e := startEtcd(t, embedded.Config{})
	ctx := context.Background()
	put := func() int64 {
		r, err := e.client.Put(ctx, "/k", "v")
		if err != nil {
			t.Fatal(err)
		}
		return r.Header.Revision
	}
	old := put()
	var a, b compactor
	if err := a.compact(ctx, e.client); err != nil {
		t.Fatal(err)
	}
	if compacted(t, e.client, old) {
		t.Fatal("the first round compacted; it should only learn the revision")
	}
	seen := a.rev
	put()
	if err := b.compact(ctx, e.client); err != nil {
		t.Fatal(err)
	}
	if b.round != a.round {
		t.Fatalf("second compactor at round %d, want to catch up with %d", b.round, a.round)
	}
	if compacted(t, e.client, old) {
		t.Fatal("a compactor that lost the round compacted")
	}
	if err := a.compact(ctx, e.client); err != nil {
		t.Fatal(err)
	}
	if !compacted(t, e.client, seen-1) || compacted(t, e.client, seen) {
		t.Fatalf("after round 2, want history before %d gone and %d kept", seen, seen)
	}
}

func TestStartCompactor(t *testing.T) {
	e := startEtcd(t, embedded.Config{})
	ctx := context.Background()
	first, err := e.client.Put(ctx, "/k", "v")
	if err != nil {
		t.Fatal(err)
	}
	StartCompactor(ctx, e.client, 0)() // disabled: returns a no-op stop

	stop := StartCompactor(ctx, e.client, 20*time.Millisecond)
	defer stop()
	// Keep writing until the compactor has compacted the first write away; the test's own
	// timeout bounds this.
	for !compacted(t, e.client, first.Header.Revision) {
		if _, err := e.client.Put(ctx, "/k", "v"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
