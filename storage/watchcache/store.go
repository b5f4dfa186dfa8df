package watchcache

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// objectStore is the cache's copy of every object, by key and in key order. Each object is kept
// as an ADDED event at the object's resourceVersion, so the initial events of every watch that
// starts from the current state, and the items of every list served from memory, share one
// *storage.Event (and its encodings) per object.
//
// It is not safe for concurrent use; the Cache guards it.
type objectStore struct {
	byKey  map[string]*storage.Event
	sorted []string // every key of byKey, ascending
}

func newObjectStore(size int) *objectStore {
	return &objectStore{byKey: make(map[string]*storage.Event, size), sorted: make([]string, 0, size)}
}

// get returns the object stored at key.
func (s *objectStore) get(key string) (*storage.Event, bool) {
	ev, ok := s.byKey[key]
	return ev, ok
}

// put stores added (an ADDED event) at key and returns the object it replaced, if any.
func (s *objectStore) put(key string, added *storage.Event) runtime.Object {
	old, ok := s.byKey[key]
	s.byKey[key] = added
	if ok {
		return old.Object
	}
	i := sort.SearchStrings(s.sorted, key)
	s.sorted = append(s.sorted, "")
	copy(s.sorted[i+1:], s.sorted[i:])
	s.sorted[i] = key
	return nil
}

// remove deletes key and returns the object it held, if any.
func (s *objectStore) remove(key string) runtime.Object {
	old, ok := s.byKey[key]
	if !ok {
		return nil
	}
	delete(s.byKey, key)
	i := sort.SearchStrings(s.sorted, key)
	s.sorted = append(s.sorted[:i], s.sorted[i+1:]...)
	return old.Object
}

// len is the number of objects.
func (s *objectStore) len() int { return len(s.byKey) }

// scan returns, in key order, the objects whose keys start with prefix.
func (s *objectStore) scan(prefix string) []*storage.Event {
	i := sort.SearchStrings(s.sorted, prefix)
	var out []*storage.Event
	for ; i < len(s.sorted) && strings.HasPrefix(s.sorted[i], prefix); i++ {
		out = append(out, s.byKey[s.sorted[i]])
	}
	return out
}
