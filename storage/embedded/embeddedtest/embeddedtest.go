// Package embeddedtest starts embedded etcd for tests: one member per test (Start) or one for a
// whole test binary (Run, from TestMain). Only _test files import it; it imports nothing of
// kapi's but storage/embedded.
//
// Every member it starts listens on loopback ports the kernel picks and is stopped, with its
// clients, when the test or the binary ends. Members fsync unless the test's Config says
// UnsafeNoFsync: faster, but storage/watchcache's replay tests fail with it (they
// race the cache's first list against their writes, which fsync makes slow enough).
package embeddedtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/storage/embedded"
)

// Start starts an embedded etcd for one test with cfg (Dir defaults to a temporary directory of
// t) and returns it and a client to it; both are closed when the test ends.
func Start(t testing.TB, cfg embedded.Config) (*embedded.Etcd, *clientv3.Client) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	e, err := embedded.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	c, err := e.NewClient()
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return e, c
}

// Run starts one embedded etcd in a temporary directory, calls run with a client to it, then
// stops etcd, removes the directory and returns run's result; 1 when etcd does not start. It is
// for a TestMain whose tests share one etcd, each under its own key prefix:
//
//	func TestMain(m *testing.M) {
//		os.Exit(embeddedtest.Run(func(c *clientv3.Client) int {
//			etcdClient = c
//			return m.Run()
//		}))
//	}
func Run(run func(client *clientv3.Client) int) int {
	dir, err := os.MkdirTemp("", "kapi-test-etcd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd data directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	e, err := embedded.Start(context.Background(), embedded.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting etcd:", err)
		return 1
	}
	defer e.Close()
	c, err := e.NewClient()
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd client:", err)
		return 1
	}
	defer c.Close()
	return run(c)
}
