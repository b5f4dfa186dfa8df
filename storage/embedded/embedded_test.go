package embedded

import (
	"context"
	"net/url"
	"testing"
)

func TestStartRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	e, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range e.Endpoints() {
		if u, err := url.Parse(ep); err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "0" || u.Port() == "" {
			t.Fatalf("endpoint %q, want http://127.0.0.1:<kernel-chosen port>", ep)
		}
	}
	c, err := e.NewClient()
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "/k", "v1"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, err = e.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Get(ctx, "/k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v1" {
		t.Fatalf("after restart got %v, want /k=v1", resp.Kvs)
	}
}

func TestStartRequiresDir(t *testing.T) {
	if e, err := Start(context.Background(), Config{}); err == nil {
		e.Close()
		t.Fatal("Start without a data dir succeeded")
	}
}
