package controllers

import (
	"context"
	"sync"
	"time"
)

// queue is a deduplicating work queue, as client-go's workqueue: a key added while it is
// pending is queued once, and a key is never handed to two workers at once (added while being
// worked on, it is queued again when done). Keys are handed out in the order they were added.
type queue struct {
	mu         sync.Mutex
	pending    map[string]bool
	processing map[string]bool
	dirty      map[string]bool // added while processing
	order      []string
	ready      chan struct{}
	closed     bool
	timers     map[*time.Timer]struct{}
}

func newQueue() *queue {
	return &queue{
		pending: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{},
		ready: make(chan struct{}, 1), timers: map[*time.Timer]struct{}{},
	}
}

// add queues key unless it is already pending.
func (q *queue) add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *queue) addLocked(key string) {
	if q.closed || q.pending[key] {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	q.pending[key] = true
	q.order = append(q.order, key)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// addAfter queues key after d.
func (q *queue) addAfter(key string, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		q.mu.Lock()
		delete(q.timers, t)
		q.mu.Unlock()
		q.add(key)
	})
	q.timers[t] = struct{}{}
}

// get waits for a key; false when ctx ends.
func (q *queue) get(ctx context.Context) (string, bool) {
	for {
		q.mu.Lock()
		if len(q.order) > 0 {
			key := q.order[0]
			q.order = q.order[1:]
			delete(q.pending, key)
			q.processing[key] = true
			if len(q.order) > 0 {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return key, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", false
		case <-q.ready:
		}
	}
}

// done ends the work on key that get handed out; a key added meanwhile is queued again.
func (q *queue) done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		delete(q.dirty, key)
		q.addLocked(key)
	}
}

// close stops the queue's timers; later adds are ignored.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for t := range q.timers {
		t.Stop()
	}
	q.timers = nil
}
