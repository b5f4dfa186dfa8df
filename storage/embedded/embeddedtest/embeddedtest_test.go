package embeddedtest

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/storage/embedded"
)

// roundTrip writes a key and reads it back.
func roundTrip(t *testing.T, c *clientv3.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Put(ctx, "/k", "v"); err != nil {
		t.Fatalf("put: %v", err)
	}
	resp, err := c.Get(ctx, "/k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("get: %v %v", resp, err)
	}
}

func TestStart(t *testing.T) {
	e, c := Start(t, embedded.Config{})
	if len(e.Endpoints()) == 0 {
		t.Fatal("no endpoints")
	}
	roundTrip(t, c)
}

func TestRun(t *testing.T) {
	ran := false
	code := Run(func(c *clientv3.Client) int {
		ran = true
		roundTrip(t, c)
		return 7
	})
	if !ran || code != 7 {
		t.Fatalf("ran %v, code %d; want run called and its 7 returned", ran, code)
	}
}
