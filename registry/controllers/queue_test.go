package controllers

import (
	"context"
	"testing"
)

func TestQueueNeverHandsOutAKeyTwiceAtOnce(t *testing.T) {
	q := newQueue()
	defer q.close()
	ctx := context.Background()
	q.add("a")
	q.add("a") // pending: queued once
	q.add("b")
	first, _ := q.get(ctx)
	if first != "a" {
		t.Fatalf("got %q, want a", first)
	}
	// "a" is added while a worker has it: it must not come out again before done.
	q.add("a")
	second, _ := q.get(ctx)
	if second != "b" {
		t.Fatalf("got %q while a was processing, want b", second)
	}
	q.done("b")
	q.done("a")
	third, _ := q.get(ctx)
	if third != "a" {
		t.Fatalf("got %q after done, want a again (it was added while processing)", third)
	}
	q.done("a")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if key, ok := q.get(cancelled); ok {
		t.Fatalf("empty queue handed out %q", key)
	}
}
