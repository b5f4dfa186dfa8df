package pluginapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/kapi-dev/kapi/abi"
)

// FixtureReader is a TEST FIXTURE: a map-backed ObjectReader for tests of plugins and runtimes,
// standing in for the server's registry-backed reader. Its label selectors support only
// comma-separated key=value terms.
type FixtureReader struct {
	mu      sync.Mutex
	objects map[string][]byte // key: resource|namespace|name
}

// NewFixtureReader returns an empty FixtureReader.
func NewFixtureReader() *FixtureReader { return &FixtureReader{objects: map[string][]byte{}} }

func fixtureKey(r abi.GroupVersionResource, namespace, name string) string {
	return resourceString(r) + "|" + namespace + "|" + name
}

// Put stores an object's JSON under its resource, namespace and name.
func (f *FixtureReader) Put(r abi.GroupVersionResource, namespace, name string, object []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[fixtureKey(r, namespace, name)] = object
}

// Get returns the stored object or abi.ErrNotFound.
func (f *FixtureReader) Get(_ context.Context, r abi.GroupVersionResource, namespace, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[fixtureKey(r, namespace, name)]
	if !ok {
		return nil, abi.ErrNotFound
	}
	return o, nil
}

// List returns {"kind":"List","items":[...]} of the objects of r in namespace ("" for all) whose
// labels match the selector.
func (f *FixtureReader) List(_ context.Context, r abi.GroupVersionResource, namespace, labelSelector string) ([]byte, error) {
	want := map[string]string{}
	for _, term := range strings.Split(labelSelector, ",") {
		if term = strings.TrimSpace(term); term == "" {
			continue
		}
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			return nil, &abi.HostError{Code: abi.HostErrBadRequest, Message: fmt.Sprintf("fixture selector %q: only key=value terms", term)}
		}
		want[k] = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	prefix := resourceString(r) + "|"
	items := []json.RawMessage{}
	keys := slices.Sorted(maps.Keys(f.objects))
	for _, key := range keys {
		o := f.objects[key]
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok || (namespace != "" && !strings.HasPrefix(rest, namespace+"|")) {
			continue
		}
		var meta struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(o, &meta)
		match := true
		for k, v := range want {
			if meta.Metadata.Labels[k] != v {
				match = false
			}
		}
		if match {
			items = append(items, o)
		}
	}
	return json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{}, "items": items})
}
