package wasm

import "sync"

// pool holds a plugin's instances: one slot per instance, nil for an instance to be made by the
// call that takes the slot (after a trap or timeout discarded the one it held). A token in free
// stands for each slot in idle, so a call waits on free (with its deadline) and then pops a slot.
//
// The slot given back last is taken first. A channel of instances would hand out the one idle
// longest, whose memory has left the CPU's caches by then; in a busy server a call to a guest
// that was just used costs about half as much as a call to one that was not
// (BenchmarkAdmitColdCache).
type pool struct {
	free chan struct{}
	mu   sync.Mutex
	idle []*instance
}

func newPool(n int) *pool {
	return &pool{free: make(chan struct{}, n), idle: make([]*instance, 0, n)}
}

// size is the number of slots.
func (p *pool) size() int { return cap(p.free) }

// put gives a slot back. An empty slot (nil) goes on top too, so that the next call remakes its
// instance at once and the pool is whole again.
func (p *pool) put(in *instance) {
	p.mu.Lock()
	p.idle = append(p.idle, in)
	p.mu.Unlock()
	p.free <- struct{}{}
}

// pop takes the slot given back last; the caller has taken a token from free.
func (p *pool) pop() *instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return in
}
