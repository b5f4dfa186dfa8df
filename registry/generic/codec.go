package generic

import (
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Codec returns the storage codec for a resource: JSON, with apiVersion and kind written into
// the stored bytes (as kube stores them) and set on every decoded object, so objects read from
// storage carry their TypeMeta.
func Codec(res *registry.Resource) storage.Codec {
	gvk := res.GroupVersionKind()
	listGVK := gvk.GroupVersion().WithKind(res.Kind + "List")
	listType := reflect.TypeOf(res.NewList())
	return storage.Codec{
		New:     res.New,
		NewList: res.NewList,
		Encode: func(obj runtime.Object) ([]byte, error) {
			// Setting the kind on the caller's object is harmless (it is the object's own kind)
			// and saves a deep copy on every write. Objects read from storage have it already,
			// so a shared, cached object is never written to here.
			if obj.GetObjectKind().GroupVersionKind() != gvk {
				obj.GetObjectKind().SetGroupVersionKind(gvk)
			}
			data, err := json.Marshal(obj)
			if err != nil {
				return nil, fmt.Errorf("encoding %s: %w", gvk.Kind, err)
			}
			return data, nil
		},
		Decode: func(data []byte, into runtime.Object) error {
			if err := json.Unmarshal(data, into); err != nil {
				return fmt.Errorf("decoding %s: %w", gvk.Kind, err)
			}
			if reflect.TypeOf(into) == listType {
				into.GetObjectKind().SetGroupVersionKind(listGVK)
			} else {
				into.GetObjectKind().SetGroupVersionKind(gvk)
			}
			return nil
		},
	}
}
