package generic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// protoMagic opens every protobuf-encoded object kube stores: "k8s" and a zero byte, then a
// runtime.Unknown envelope that names the apiVersion and kind and holds the object's bytes.
var protoMagic = []byte("k8s\x00")

// protoMessage is what the generated protobuf code of k8s.io/api's types provides.
type protoMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// Codec returns the storage codec for a resource. Built-in types (those with generated protobuf
// code, as every k8s.io/api type has) are stored as kube-apiserver stores them: protobuf in a
// runtime.Unknown envelope behind the "k8s\x00" magic. Other types (custom resources) are stored
// as JSON with apiVersion and kind written into the bytes. Decode reads either encoding,
// whatever the resource, so data written as JSON by an earlier kapi stays readable (and is
// rewritten as protobuf on its next update). Every decoded object carries its TypeMeta.
//
// # Why protobuf
//
// Decoding is the storage layer's hot path: every object of a list from etcd, every update's
// current state, every event the watch cache takes in. A small configmap decodes about six
// times faster from protobuf than from JSON (BenchmarkCodecDecode), and the layout is kube's,
// so etcd holds the same bytes a kube-apiserver would write.
func Codec(res *registry.Resource) storage.Codec {
	gvk := res.GroupVersionKind()
	listGVK := gvk.GroupVersion().WithKind(res.Kind + "List")
	listType := reflect.TypeOf(res.NewList())
	_, useProto := res.New().(protoMessage)
	encodeJSON := func(obj runtime.Object) ([]byte, error) {
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
	}
	encode := encodeJSON
	if useProto {
		encode = func(obj runtime.Object) ([]byte, error) {
			data, err := encodeProto(gvk, obj)
			if err != nil {
				return nil, fmt.Errorf("encoding %s: %w", gvk.Kind, err)
			}
			return data, nil
		}
	}
	return storage.Codec{
		New:     res.New,
		NewList: res.NewList,
		Encode:  encode,
		Decode: func(data []byte, into runtime.Object) error {
			var err error
			if bytes.HasPrefix(data, protoMagic) {
				err = decodeProto(data, into)
			} else {
				err = json.Unmarshal(data, into)
			}
			if err != nil {
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

// encodeProto writes obj as kube's protobuf serializer does: the magic, then a runtime.Unknown
// naming gvk with the object's protobuf bytes as its raw content.
func encodeProto(gvk schema.GroupVersionKind, obj runtime.Object) ([]byte, error) {
	m, ok := obj.(protoMessage)
	if !ok {
		return nil, fmt.Errorf("%T has no protobuf encoding", obj)
	}
	raw, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	envelope := runtime.Unknown{TypeMeta: runtime.TypeMeta{APIVersion: apiVersion, Kind: kind}, Raw: raw}
	data := make([]byte, len(protoMagic)+envelope.Size())
	copy(data, protoMagic)
	if _, err := envelope.MarshalToSizedBuffer(data[len(protoMagic):]); err != nil {
		return nil, err
	}
	return data, nil
}

// decodeProto reads what encodeProto wrote into into.
func decodeProto(data []byte, into runtime.Object) error {
	m, ok := into.(protoMessage)
	if !ok {
		return fmt.Errorf("stored as protobuf, but %T has no protobuf decoding", into)
	}
	var envelope runtime.Unknown
	if err := envelope.Unmarshal(data[len(protoMagic):]); err != nil {
		return fmt.Errorf("reading the protobuf envelope: %w", err)
	}
	if envelope.ContentEncoding != "" || (envelope.ContentType != "" && envelope.ContentType != runtime.ContentTypeProtobuf) {
		return fmt.Errorf("unsupported protobuf envelope: content type %q, encoding %q", envelope.ContentType, envelope.ContentEncoding)
	}
	return m.Unmarshal(envelope.Raw)
}
