package generic

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Install serves resources on the generic store in reg. storageFor gives the storage of each
// resource that owns its own; a resource that shares another's (SharedStorage: events.k8s.io
// events are core events underneath) is served through its owner's storage, so it must come
// with its owner in resources. The server and the tests assemble their registries here alike.
func Install(reg *registry.Registry, resources []*registry.Resource, deps Deps, storageFor func(*registry.Resource) (storage.Interface, error)) error {
	owners := map[schema.GroupResource]storage.Interface{}
	prefixes := map[schema.GroupResource]string{}
	var sharing []*registry.Resource
	for _, res := range resources {
		if res.SharedStorage != nil {
			sharing = append(sharing, res)
			continue
		}
		gr := schema.GroupResource{Group: res.Group, Resource: res.Plural}
		s, err := storageFor(res)
		if err != nil {
			return fmt.Errorf("storage for %s: %w", gr, err)
		}
		owners[gr], prefixes[gr] = s, KeyPrefix(res)
		reg.Add(NewEntry(res, s, deps))
	}
	for _, res := range sharing {
		owner, ok := owners[res.SharedStorage.Resource]
		if !ok {
			return fmt.Errorf("storage for %s.%s: it shares %s, which has no storage", res.Plural, res.Group, res.SharedStorage.Resource)
		}
		reg.Add(NewEntry(res, SharedStorage(res, owner, prefixes[res.SharedStorage.Resource]), deps))
	}
	return nil
}
