package generic

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// TestInstallServesSharingResourcesThroughTheirOwner pins that events.k8s.io events are
// installed on core events' storage, and that a sharer without its owner is refused.
func TestInstallServesSharingResourcesThroughTheirOwner(t *testing.T) {
	var eventsOwner, coreEvents *registry.Resource
	for _, res := range builtin.Resources() {
		switch {
		case res.Group == "events.k8s.io" && res.Plural == "events":
			eventsOwner = res
		case res.Group == "" && res.Plural == "events":
			coreEvents = res
		}
	}
	if eventsOwner == nil || coreEvents == nil || eventsOwner.SharedStorage == nil {
		t.Fatal("built-ins lack the two events resources, or events.k8s.io does not share storage")
	}
	var asked []string
	storageFor := func(res *registry.Resource) (storage.Interface, error) {
		asked = append(asked, res.Group+"/"+res.Plural)
		return etcd3.New(etcdClient, "/install-test", Codec(res)), nil
	}
	reg := registry.New()
	if err := Install(reg, []*registry.Resource{eventsOwner, coreEvents}, Deps{}, storageFor); err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != "/events" {
		t.Errorf("storage asked for %v, want only core events", asked)
	}
	if reg.Get(schema.GroupVersionResource{Group: "events.k8s.io", Version: "v1", Resource: "events"}) == nil {
		t.Error("events.k8s.io events not installed")
	}
	err := Install(registry.New(), []*registry.Resource{eventsOwner}, Deps{}, storageFor)
	if err == nil || !strings.Contains(err.Error(), "which has no storage") {
		t.Errorf("installing a sharer without its owner: %v", err)
	}
}
