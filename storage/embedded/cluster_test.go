package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestClusterSurvivesLosingTheLeader writes through a client of all three members, closes the
// leader, and checks that writes and reads go on and no acknowledged write is lost.
func TestClusterSurvivesLosingTheLeader(t *testing.T) {
	ctx := context.Background()
	members, err := StartCluster(ctx, []string{t.TempDir(), t.TempDir(), t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(members)
	c, err := NewClusterClient(members)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var acked []string
	write := func(n int) {
		t.Helper()
		for i := range n {
			key := fmt.Sprintf("/k/%03d", len(acked))
			// A write may fail while a new leader is elected; only acknowledged writes count,
			// and the test's timeout bounds the retries.
			for {
				if _, err := c.Put(ctx, key, fmt.Sprint(i)); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			acked = append(acked, key)
		}
	}
	write(20)

	leader := -1
	for i, m := range members {
		if m.server.Server.Leader() == m.server.Server.MemberID() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no member is the leader")
	}
	if err := members[leader].Close(); err != nil {
		t.Fatal(err)
	}
	write(20)

	for i, m := range members {
		if i == leader {
			continue
		}
		mc, err := clientv3.New(clientv3.Config{Endpoints: m.Endpoints(), Logger: quietLogger(nil)})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := mc.Get(ctx, "/k/", clientv3.WithPrefix())
		mc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) != len(acked) {
			t.Fatalf("member %d holds %d keys, want the %d acknowledged", i, len(resp.Kvs), len(acked))
		}
		for j, kv := range resp.Kvs {
			if string(kv.Key) != acked[j] {
				t.Fatalf("member %d key %d is %s, want %s", i, j, kv.Key, acked[j])
			}
		}
	}
}
