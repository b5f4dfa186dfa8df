package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kapi-dev/kapi/host/status"
	"github.com/kapi-dev/kapi/storage"
)

func (s *scope) watch() {
	opts, err := s.listOptions(true)
	if err != nil {
		s.fail(err)
		return
	}
	s.serveWatch(opts)
}

// watchTimeout is how long a watch runs: timeoutSeconds when the client gave it, else between one
// and two times the minimum request timeout, so that watches of many clients do not all end at
// once (as kube).
func (s *scope) watchTimeout(opts *metav1.ListOptions) time.Duration {
	if opts.TimeoutSeconds != nil && *opts.TimeoutSeconds > 0 {
		return time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	min := s.h.opts.MinRequestTimeout
	return min + time.Duration(rand.Int64N(int64(min)))
}

// serveWatch streams events as kube does: in JSON one watch event per line, in protobuf one
// length-prefixed metav1.WatchEvent per frame, until the timeout, the client leaving, the store
// ending the watch, or server shutdown. Each event is flushed unless more are already queued
// behind it, so a burst costs one flush (measured on 1,000 watchers of one connection with bursts
// of 10 writes: about half the server CPU per burst, and half the p50 and p99 latency).
func (s *scope) serveWatch(opts *metav1.ListOptions) {
	if s.out.mediaType == mediaYAML {
		// YAML has no streaming form, as in kube.
		s.fail(notAcceptableWatch())
		return
	}
	flusher, ok := s.w.(http.Flusher)
	if !ok {
		status.InternalError(s.w, s.r, fmt.Errorf("the response writer %T cannot stream", s.w))
		return
	}
	ctx, cancel := context.WithTimeout(s.r.Context(), s.watchTimeout(opts))
	defer cancel()
	watcher, err := s.store.Watch(ctx, s.ns, opts)
	if err != nil {
		s.fail(err)
		return
	}
	defer watcher.Stop()

	h := s.w.Header()
	h.Set("Content-Type", s.out.watchContentType())
	h.Set("X-Content-Type-Options", "nosniff")
	s.w.WriteHeader(http.StatusOK)
	flusher.Flush()

	// Every watcher of this resource with the same output form shares an event's encoding.
	key := s.kind.String() + ";" + s.out.key() + ";include=" + string(s.includeObject)
	events := watcher.ResultChan()
	unflushed := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.h.opts.Stop:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Type != watch.Bookmark || opts.AllowWatchBookmarks {
				data, err := ev.Encoded(key, s.encodeEvent)
				if err != nil {
					// The stream has started; the client learns of the failure from an ERROR event.
					slog.Error("encoding a watch event", "resource", s.res.Plural, "err", err)
					data, err = s.encodeStatusEvent(status.FromError(err))
					if err != nil {
						return
					}
				}
				if _, err := s.w.Write(data); err != nil {
					return
				}
				unflushed = true
			}
			// One flush for what is already queued: a burst of events leaves in as few frames
			// as the queue allows, and the last event written is never held back.
			if unflushed && len(events) == 0 {
				flusher.Flush()
				unflushed = false
			}
		}
	}
}

// encodeEvent encodes one event in the scope's output form.
func (s *scope) encodeEvent(ev *storage.Event) ([]byte, error) {
	var obj runtime.Object
	switch {
	case ev.Type == watch.Error:
		obj = ev.Object
	case ev.Type == watch.Bookmark && s.out.as == asTable:
		obj = bookmarkTable(ev.Object, s.out.metaVersion)
	default:
		var err error
		if obj, err = s.transform(ev.Object); err != nil {
			return nil, err
		}
	}
	data, err := encodeAs(s.out.mediaType, obj, kindOf(obj, s.kind), false, true)
	if err != nil {
		return nil, err
	}
	return s.frameEvent(ev.Type, data)
}

// encodeStatusEvent is an ERROR event carrying st.
func (s *scope) encodeStatusEvent(st *metav1.Status) ([]byte, error) {
	data, err := encodeAs(s.out.mediaType, st, kindOf(st, s.kind), false, true)
	if err != nil {
		return nil, err
	}
	return s.frameEvent(watch.Error, data)
}

// frameEvent wraps an encoded object in a watch event of the stream's media type.
func (s *scope) frameEvent(typ watch.EventType, obj []byte) ([]byte, error) {
	if s.out.mediaType == mediaProtobuf {
		return encodeWatchEventProtobuf(typ, obj)
	}
	return encodeWatchEvent(typ, obj)
}

// bookmarkTable is a bookmark in table form: no rows, the resourceVersion in its metadata.
func bookmarkTable(obj runtime.Object, version string) *metav1.Table {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: metav1.GroupName + "/" + version}, Rows: []metav1.TableRow{}}
	if m, err := meta.Accessor(obj); err == nil {
		t.ResourceVersion = m.GetResourceVersion()
	}
	return t
}

// encodeWatchEvent is metav1.WatchEvent's JSON, one per line.
func encodeWatchEvent(typ watch.EventType, obj []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(obj) + 32)
	b.WriteString(`{"type":`)
	t, err := json.Marshal(string(typ))
	if err != nil {
		return nil, err
	}
	b.Write(t)
	b.WriteString(`,"object":`)
	b.Write(obj)
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// watchEventProtobuf writes metav1.WatchEvent without the envelope, as kube's protobuf stream
// serializer (the embedded object carries the envelope).
var watchEventProtobuf = protobuf.NewRawSerializer(scheme.Scheme, scheme.Scheme)

// encodeWatchEventProtobuf is metav1.WatchEvent in protobuf, the object as its RawExtension,
// in a length-delimited frame (a 4-byte big-endian length, then the message), as kube's
// protobuf watch streams are framed.
func encodeWatchEventProtobuf(typ watch.EventType, obj []byte) ([]byte, error) {
	var msg bytes.Buffer
	ev := &metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: obj}}
	if err := watchEventProtobuf.Encode(ev, &msg); err != nil {
		return nil, fmt.Errorf("encoding a watch event as protobuf: %w", err)
	}
	var b bytes.Buffer
	b.Grow(msg.Len() + 4)
	if _, err := protobuf.LengthDelimitedFramer.NewFrameWriter(&b).Write(msg.Bytes()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
