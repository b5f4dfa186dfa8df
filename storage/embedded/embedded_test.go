package embedded

import (
	"context"
	"testing"
)

func TestStartRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	e, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
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
