package registry

import (
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Registry is the set of served resources and their stores. It is safe for concurrent use; the
// set may change at any time, and subscribers hear of every change.
type Registry struct {
	mu        sync.RWMutex
	entries   map[schema.GroupVersionResource]*Entry
	listeners []func()
}

// Entry is one served resource with its store.
type Entry struct {
	Resource *Resource
	Store    Store
	// Subresources holds stores for subresources that are not plain views of the main object
	// (scale, binding), by name. Status uses Store with subresource "status".
	Subresources map[string]Store
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{entries: map[schema.GroupVersionResource]*Entry{}}
}

// Add serves a resource, replacing any resource with the same group, version and plural.
func (r *Registry) Add(e *Entry) {
	r.mu.Lock()
	r.entries[e.Resource.GroupVersionResource()] = e
	listeners := append([]func(){}, r.listeners...)
	r.mu.Unlock()
	for _, l := range listeners {
		l()
	}
}

// Remove stops serving a resource.
func (r *Registry) Remove(gvr schema.GroupVersionResource) {
	r.mu.Lock()
	_, ok := r.entries[gvr]
	delete(r.entries, gvr)
	listeners := append([]func(){}, r.listeners...)
	r.mu.Unlock()
	if !ok {
		return
	}
	for _, l := range listeners {
		l()
	}
}

// Get returns the entry for a resource, or nil.
func (r *Registry) Get(gvr schema.GroupVersionResource) *Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.entries[gvr]
}

// ForKind returns the entry whose resource has the kind, or nil.
func (r *Registry) ForKind(gvk schema.GroupVersionKind) *Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, e := range r.entries {
		if e.Resource.GroupVersionKind() == gvk {
			return e
		}
	}
	return nil
}

// Entries returns every entry, sorted by group, version and plural, so that discovery is stable.
func (r *Registry) Entries() []*Entry {
	r.mu.RLock()
	out := make([]*Entry, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Resource, out[j].Resource
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Plural < b.Plural
	})
	return out
}

// OnChange registers f to be called after every Add or Remove (discovery and OpenAPI caches use
// it to rebuild). f must not call Add or Remove.
func (r *Registry) OnChange(f func()) {
	r.mu.Lock()
	r.listeners = append(r.listeners, f)
	r.mu.Unlock()
}
