package controllers

import (
	"sort"
	"sync"
)

// syncSet is a set of strings safe for concurrent use.
type syncSet struct {
	mu *sync.Mutex
	m  map[string]struct{}
}

func newSyncSet() syncSet { return syncSet{mu: &sync.Mutex{}, m: map[string]struct{}{}} }

func (s syncSet) add(k string) {
	s.mu.Lock()
	s.m[k] = struct{}{}
	s.mu.Unlock()
}

func (s syncSet) remove(k string) {
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

func (s syncSet) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

func (s syncSet) list() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out
}
