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
	"k8s.io/apimachinery/pkg/watch"

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

// serveWatch streams events as kube does: one JSON watch event per line, flushed one by one,
// until the timeout, the client leaving, the store ending the watch, or server shutdown.
func (s *scope) serveWatch(opts *metav1.ListOptions) {
	if s.out.mediaType != mediaJSON {
		// YAML has no streaming form, as in kube.
		s.fail(notAcceptable())
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
	h.Set("Content-Type", s.out.contentType())
	h.Set("X-Content-Type-Options", "nosniff")
	s.w.WriteHeader(http.StatusOK)
	flusher.Flush()

	// Every watcher of this resource with the same output form shares an event's encoding.
	key := s.kind.String() + ";" + s.out.key() + ";include=" + string(s.includeObject)
	events := watcher.ResultChan()
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
			if ev.Type == watch.Bookmark && !opts.AllowWatchBookmarks {
				continue
			}
			data, err := ev.Encoded(key, s.encodeEvent)
			if err != nil {
				// The stream has started; the client learns of the failure from an ERROR event.
				slog.Error("encoding a watch event", "resource", s.res.Plural, "err", err)
				data, _ = encodeWatchEvent(watch.Error, mustJSON(status.FromError(err)))
			}
			if _, err := s.w.Write(data); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// encodeEvent encodes one event in the scope's output form.
func (s *scope) encodeEvent(ev *storage.Event) ([]byte, error) {
	var obj []byte
	var err error
	switch {
	case ev.Type == watch.Error:
		obj, err = encodeJSON(ev.Object, kindOf(ev.Object, s.kind))
	case ev.Type == watch.Bookmark && s.out.as == asTable:
		obj, err = json.Marshal(bookmarkTable(ev.Object, s.out.metaVersion))
	default:
		obj, err = s.transformAndEncode(ev.Object)
	}
	if err != nil {
		return nil, err
	}
	return encodeWatchEvent(ev.Type, obj)
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

func mustJSON(v interface{}) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return data
}
