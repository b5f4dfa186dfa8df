package rest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/storage"
)

// eventLister is a store that lists with the watch cache's events for the items
// (registry/generic's Store): ListWithEvents returns the list and, when the list was served from
// memory, the event holding each item, one per item and in order (nil otherwise).
type eventLister interface {
	ListWithEvents(ctx context.Context, namespace string, opts *metav1.ListOptions) (runtime.Object, []*storage.Event, error)
}

// listWithEvents lists from the store, with the items' events when the response can be written
// from them: the list itself (no Table or PartialObjectMetadata), as compact JSON or protobuf, of
// a list type whose encoding listShaped knows.
func (s *scope) listWithEvents(opts *metav1.ListOptions) (runtime.Object, []*storage.Event, error) {
	el, ok := s.store.(eventLister)
	fromEvents := ok && (s.out.as == asNone || s.out.as == asPartial) &&
		(s.out.mediaType == mediaProtobuf || (s.out.mediaType == mediaJSON && !pretty(s.r))) &&
		listShaped(s.res.NewList())
	if !fromEvents {
		list, err := s.store.List(s.r.Context(), s.ns, opts)
		return list, nil, err
	}
	return el.ListWithEvents(s.r.Context(), s.ns, opts)
}

// writeList writes a list. With the items' events (the list then has no items of its own) it is
// written from their shared encodings, the same bytes as encoding the whole list
// (TestListFromEventsMatchesPlainEncoding): each object of the watch cache is encoded once per
// media type for every list that includes it, instead of once per list.
func (s *scope) writeList(list runtime.Object, events []*storage.Event) {
	if events == nil {
		s.writeObject(http.StatusOK, list)
		return
	}
	b := listBodies.Get().(*bytes.Buffer)
	defer putListBody(b)
	if err := encodeListFromEvents(b, s.out, s.kind, list, events); err != nil {
		s.fail(err)
		return
	}
	// The ResponseWriter is done with the body when Write returns, so the buffer can be reused.
	writeRaw(s.w, http.StatusOK, s.out.contentType(), b.Bytes())
}

// listBodies are buffers for list bodies: a list of a thousand objects is a body of hundreds of
// kilobytes, which would otherwise be allocated, and collected, on every list.
var listBodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledListBody bounds what the pool keeps, so that one huge list does not pin its buffer.
const maxPooledListBody = 8 << 20

func putListBody(b *bytes.Buffer) {
	if b.Cap() > maxPooledListBody {
		return
	}
	b.Reset()
	listBodies.Put(b)
}

// encodeListFromEvents encodes a list of kind's objects into b in the output form out (compact
// JSON or protobuf, the objects themselves or their PartialObjectMetadata), around the encodings
// of its items that the events share.
func encodeListFromEvents(b *bytes.Buffer, out output, kind schema.GroupVersionKind, list runtime.Object, events []*storage.Event) error {
	key := kind.String() + ";list-item;" + out.key()
	encode := listItemJSON
	switch {
	case out.as == asPartial:
		encode = partialItemEncoder(out)
		list = partialListEnvelope(list, out.metaVersion)
	case out.mediaType == mediaProtobuf:
		encode = listItemProtobuf
	}
	items := make([][]byte, len(events))
	for i, ev := range events {
		data, err := ev.Encoded(key, encode)
		if err != nil {
			return err
		}
		items[i] = data
	}
	if out.mediaType == mediaProtobuf {
		return protobufListAround(b, list, items)
	}
	return jsonListAround(b, list, items)
}

// partialItemEncoder encodes a list item's PartialObjectMetadata in out's media type and
// meta.k8s.io version, as a PartialObjectMetadataList holds it.
func partialItemEncoder(out output) func(ev *storage.Event) ([]byte, error) {
	return func(ev *storage.Event) ([]byte, error) {
		p, err := partialMetadata(ev.Object, out.metaVersion)
		if err != nil {
			return nil, err
		}
		if out.mediaType == mediaProtobuf {
			return p.Marshal()
		}
		return json.Marshal(p)
	}
}

// listItemJSON is an item as a list carries it: typed items without kind and apiVersion (only the
// list says its kind, as kube's typed lists), custom resources' items with theirs.
func listItemJSON(ev *storage.Event) ([]byte, error) {
	var data []byte
	var err error
	if u, ok := ev.Object.(runtime.Unstructured); ok {
		data, err = json.Marshal(u.UnstructuredContent())
	} else {
		data, err = json.Marshal(withKind(ev.Object, schema.GroupVersionKind{}))
	}
	if err != nil {
		return nil, fmt.Errorf("encoding a list item: %w", err)
	}
	return data, nil
}

// protoMarshaler is what k8s.io/api's generated protobuf code provides.
type protoMarshaler interface {
	Marshal() ([]byte, error)
}

// listItemProtobuf is an item's protobuf message, which carries no kind.
func listItemProtobuf(ev *storage.Event) ([]byte, error) {
	m, ok := ev.Object.(protoMarshaler)
	if !ok {
		return nil, fmt.Errorf("a list item of type %T has no protobuf form", ev.Object)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding a list item as protobuf: %w", err)
	}
	return data, nil
}

// listShaped reports whether a list can be written around its items' encodings with the bytes
// encoding it whole gives: an unstructured list, or a typed list laid out as every k8s.io/api
// list is (the layout apimachinery's streaming list encoders check): TypeMeta inline, ListMeta
// as "metadata" and protobuf field 1, Items as "items" and protobuf field 2, nothing else.
func listShaped(list runtime.Object) bool {
	if _, ok := list.(*unstructured.UnstructuredList); ok {
		return true
	}
	t := reflect.TypeOf(list)
	if shaped, ok := listShapes.Load(t); ok {
		return shaped.(bool)
	}
	shaped := typedListShaped(t)
	listShapes.Store(t, shaped)
	return shaped
}

// listShapes caches typedListShaped by list type.
var listShapes sync.Map

func typedListShaped(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || t.Elem().NumField() != 3 {
		return false
	}
	t = t.Elem()
	typeMeta, listMeta, items := t.Field(0), t.Field(1), t.Field(2)
	jsonTag := typeMeta.Tag.Get("json")
	return typeMeta.Type == reflect.TypeOf(metav1.TypeMeta{}) && typeMeta.Anonymous && (jsonTag == "" || jsonTag == ",inline") &&
		listMeta.Type == reflect.TypeOf(metav1.ListMeta{}) && listMeta.Tag.Get("json") == "metadata,omitempty" &&
		listMeta.Tag.Get("protobuf") == "bytes,1,opt,name=metadata" &&
		items.Type.Kind() == reflect.Slice && items.Tag.Get("json") == "items" && items.Tag.Get("protobuf") == "bytes,2,rep,name=items"
}

// typedListMeta is a typed list's metadata.
func typedListMeta(list runtime.Object) metav1.ListMeta {
	return reflect.ValueOf(list).Elem().Field(1).Interface().(metav1.ListMeta)
}

// jsonListAround writes list into b as JSON with items as its items' bytes, as json.Marshal
// writes it (and a newline, as kube's serializer):
// a typed list's fields in struct order (kind, apiVersion, metadata, items), an unstructured
// list's keys sorted, items among them.
func jsonListAround(b *bytes.Buffer, list runtime.Object, items [][]byte) error {
	size := 64
	for _, item := range items {
		size += len(item) + 1
	}
	b.Grow(size)
	b.WriteByte('{')
	if u, ok := list.(*unstructured.UnstructuredList); ok {
		keys := make([]string, 0, len(u.Object)+1)
		for k := range u.Object {
			if k != "items" {
				keys = append(keys, k)
			}
		}
		keys = append(keys, "items")
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if k == "items" {
				writeJSONItems(b, items)
				continue
			}
			if err := writeJSONField(b, k, u.Object[k]); err != nil {
				return err
			}
		}
	} else {
		typeMeta := reflect.ValueOf(list).Elem().Field(0).Interface().(metav1.TypeMeta)
		if typeMeta.Kind != "" {
			if err := writeJSONField(b, "kind", typeMeta.Kind); err != nil {
				return err
			}
			b.WriteByte(',')
		}
		if typeMeta.APIVersion != "" {
			if err := writeJSONField(b, "apiVersion", typeMeta.APIVersion); err != nil {
				return err
			}
			b.WriteByte(',')
		}
		if err := writeJSONField(b, "metadata", typedListMeta(list)); err != nil {
			return err
		}
		b.WriteByte(',')
		writeJSONItems(b, items)
	}
	b.WriteString("}\n")
	return nil
}

func writeJSONField(b *bytes.Buffer, key string, value interface{}) error {
	k, err := json.Marshal(key)
	if err != nil {
		return err
	}
	v, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("encoding the list's %s: %w", key, err)
	}
	b.Write(k)
	b.WriteByte(':')
	b.Write(v)
	return nil
}

func writeJSONItems(b *bytes.Buffer, items [][]byte) {
	b.WriteString(`"items":[`)
	for i, item := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(item)
	}
	b.WriteByte(']')
}

// protoMagic opens kube's protobuf envelope.
const protoMagic = "k8s\x00"

// Protobuf field keys of a list message: ListMeta is field 1, each item field 2, both
// length-delimited (wire type 2).
const (
	listMetaKey = 1<<3 | 2
	listItemKey = 2<<3 | 2
)

// protobufListAround writes a typed list into b in kube's protobuf envelope with items as its
// items' messages: the list message is ListMeta (field 1) and each item (field 2), as the generated
// Marshal writes it, inside a runtime.Unknown naming the list's kind.
func protobufListAround(b *bytes.Buffer, list runtime.Object, items [][]byte) error {
	if _, ok := list.(*unstructured.UnstructuredList); ok {
		return fmt.Errorf("a list of custom resources has no protobuf form")
	}
	listMeta := typedListMeta(list)
	lm, err := listMeta.Marshal()
	if err != nil {
		return fmt.Errorf("encoding the list's metadata as protobuf: %w", err)
	}
	rawSize := fieldSize(len(lm))
	for _, item := range items {
		rawSize += fieldSize(len(item))
	}
	gvk := list.GetObjectKind().GroupVersionKind()
	unk := runtime.Unknown{TypeMeta: runtime.TypeMeta{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind}}
	b.Grow(rawSize + len(protoMagic) + 64)
	b.WriteString(protoMagic)
	_, err = unk.MarshalToWriter(b, rawSize, func(w io.Writer) (int, error) {
		var hdr []byte
		written := 0
		writeField := func(key byte, data []byte) error {
			hdr = binary.AppendUvarint(append(hdr[:0], key), uint64(len(data)))
			n, err := w.Write(hdr)
			written += n
			if err != nil {
				return err
			}
			n, err = w.Write(data)
			written += n
			return err
		}
		if err := writeField(listMetaKey, lm); err != nil {
			return written, err
		}
		for _, item := range items {
			if err := writeField(listItemKey, item); err != nil {
				return written, err
			}
		}
		return written, nil
	})
	if err != nil {
		return fmt.Errorf("encoding the list as protobuf: %w", err)
	}
	return nil
}

// fieldSize is the size of a length-delimited protobuf field of n bytes: key, length, data.
func fieldSize(n int) int {
	var scratch [binary.MaxVarintLen64]byte
	return 1 + binary.PutUvarint(scratch[:], uint64(n)) + n
}
