package etcd3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

// resultBufferSize is how many events a watcher holds for a slow consumer before it waits (the
// same as kube's etcd3 watcher).
const resultBufferSize = 100

// defaultInitialPageSize is the page size of the read that produces a watch's initial events.
const defaultInitialPageSize = 10000

// initialEventsEndAnnotation marks the bookmark that ends a watch list's initial events.
const initialEventsEndAnnotation = "k8s.io/initial-events-end"

// etcdWatcher is one running watch: a goroutine turning etcd's watch responses into events.
type etcdWatcher struct {
	store    *Store
	key      string // the caller's key, for errors
	rv       uint64 // the revision the stream starts after
	opts     storage.ListOptions
	result   chan *storage.Event
	cancel   context.CancelFunc
	done     chan struct{}
	etcdChan clientv3.WatchChan
	initial  *clientv3.GetResponse // the state to send as ADDED first, if asked
	prefix   string                // etcd key (or prefix) of the initial read
}

// Watch streams the changes below key (or of key when not opts.Recursive) that match
// opts.Predicate, starting after opts.ResourceVersion. With "" or "0" (unless SendInitialEvents
// is false), or SendInitialEvents true, the current state comes first as ADDED events; with
// SendInitialEvents true they end with a BOOKMARK annotated "k8s.io/initial-events-end".
//
// With opts.ProgressNotify, etcd's progress notifications become BOOKMARK events. etcd sends
// them every --watch-progress-notify-interval (10 minutes by default), or when asked with
// clientv3's RequestProgress on the watch's stream: this store's watches are opened with
// clientv3.WithRequireLeader(ctx), so ask with a context made the same way. etcd sends no
// progress to a watch whose start revision is still ahead of its own.
func (s *Store) Watch(ctx context.Context, key string, opts storage.ListOptions) (storage.Watcher, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	if opts.Recursive && !strings.HasSuffix(preparedKey, "/") {
		preparedKey += "/"
	}
	rv, err := parseResourceVersion(key, opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	sendInitial := rv == 0
	if opts.SendInitialEvents != nil {
		sendInitial = *opts.SendInitialEvents
	}

	w := &etcdWatcher{
		store:  s,
		key:    key,
		rv:     rv,
		opts:   opts,
		result: make(chan *storage.Event, resultBufferSize),
		done:   make(chan struct{}),
		prefix: preparedKey,
	}
	startRev := int64(rv) + 1
	if sendInitial || rv == 0 {
		initial, err := w.readInitial(ctx, sendInitial)
		if err != nil {
			return nil, err
		}
		startRev = initial.Header.Revision + 1
		if sendInitial {
			w.initial = initial
		}
	}
	// From here on rv is the revision the stream starts after, for the 410 message.
	w.rv = uint64(startRev - 1)

	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	watchOpts := []clientv3.OpOption{clientv3.WithRev(startRev), clientv3.WithPrevKV()}
	if opts.Recursive {
		watchOpts = append(watchOpts, clientv3.WithPrefix())
	}
	if opts.ProgressNotify {
		watchOpts = append(watchOpts, clientv3.WithProgressNotify())
	}
	// Require a leader so that a member cut off from its cluster ends the watch instead of
	// silently delivering nothing.
	w.etcdChan = s.client.Watch(clientv3.WithRequireLeader(wctx), preparedKey, watchOpts...)
	go w.run(wctx)
	return w, nil
}

// readInitial reads the current state (or only its revision when the caller wants no initial
// events). A watch list with a resourceVersion must not see a state older than it.
func (w *etcdWatcher) readInitial(ctx context.Context, withItems bool) (*clientv3.GetResponse, error) {
	s := w.store
	var getOpts []clientv3.OpOption
	if !withItems {
		getOpts = append(getOpts, clientv3.WithCountOnly())
	}
	if w.opts.Recursive {
		getOpts = append(getOpts, clientv3.WithPrefix())
	}
	done := s.metrics.start("list", s.typeLabel)
	first, err := s.client.Get(ctx, w.prefix, append(getOpts, clientv3.WithLimit(s.initialPageSize))...)
	done()
	if err != nil {
		return nil, interpretError("watch", w.key, err)
	}
	if w.rv > uint64(first.Header.Revision) {
		return nil, tooLargeResourceVersion(w.key, w.rv, uint64(first.Header.Revision))
	}
	// Read the remaining pages at the first page's revision, so the state is one snapshot.
	resp := first
	for withItems && resp.More && len(resp.Kvs) > 0 {
		from := string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		pageOpts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(w.prefix)),
			clientv3.WithRev(first.Header.Revision), clientv3.WithLimit(s.initialPageSize)}
		done := s.metrics.start("list", s.typeLabel)
		resp, err = s.client.Get(ctx, from, pageOpts...)
		done()
		if err != nil {
			return nil, interpretError("watch", w.key, err)
		}
		first.Kvs = append(first.Kvs, resp.Kvs...)
	}
	first.More = false
	return first, nil
}

// ResultChan delivers the events; it is closed when the watch ends.
func (w *etcdWatcher) ResultChan() <-chan *storage.Event { return w.result }

// Stop ends the watch and waits until its goroutine has exited.
func (w *etcdWatcher) Stop() {
	w.cancel()
	<-w.done
}

func (w *etcdWatcher) run(ctx context.Context) {
	defer close(w.done)
	defer close(w.result)
	defer w.cancel()

	if w.initial != nil {
		if !w.sendInitial(ctx) {
			return
		}
		w.initial = nil
	}
	for {
		select {
		case <-ctx.Done():
			return
		case resp, ok := <-w.etcdChan:
			if !ok {
				return
			}
			if err := resp.Err(); err != nil {
				w.send(ctx, w.errorEvent(err, resp.CompactRevision))
				return
			}
			if resp.IsProgressNotify() {
				if w.opts.ProgressNotify && !w.send(ctx, w.bookmark(resp.Header.Revision, false)) {
					return
				}
				continue
			}
			for _, ev := range resp.Events {
				event, err := w.convert(ev)
				if err != nil {
					w.send(ctx, w.errorEvent(err, 0))
					return
				}
				if event != nil && !w.send(ctx, event) {
					return
				}
			}
		}
	}
}

// sendInitial sends the initial state as ADDED events, and the end-of-initial-events bookmark
// when the caller asked for a watch list.
func (w *etcdWatcher) sendInitial(ctx context.Context) bool {
	for _, kv := range w.initial.Kvs {
		obj, err := w.store.decode(string(kv.Key), kv.Value, kv.ModRevision)
		if err != nil {
			w.send(ctx, w.errorEvent(err, 0))
			return false
		}
		// As kube, an object whose attributes cannot be read does not match.
		if ok, err := w.opts.Predicate.Matches(obj); err == nil && ok && !w.send(ctx, &storage.Event{Type: watch.Added, Object: obj, ResourceVersion: uint64(kv.ModRevision)}) {
			return false
		}
	}
	if w.opts.SendInitialEvents != nil && *w.opts.SendInitialEvents {
		return w.send(ctx, w.bookmark(w.initial.Header.Revision, true))
	}
	return true
}

func (w *etcdWatcher) send(ctx context.Context, e *storage.Event) bool {
	select {
	case w.result <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// convert turns an etcd event into a watch event, or nil when the predicate drops it. As in
// kube, an update that moves an object into the selection is ADDED and one that moves it out
// is DELETED (carrying the old object at the update's revision).
func (w *etcdWatcher) convert(ev *clientv3.Event) (*storage.Event, error) {
	pred := w.opts.Predicate
	rev := ev.Kv.ModRevision
	var old runtime.Object
	if ev.PrevKv != nil && (ev.Type == mvccpb.DELETE || !pred.Empty()) {
		var err error
		if old, err = w.store.decode(string(ev.PrevKv.Key), ev.PrevKv.Value, rev); err != nil {
			return nil, err
		}
	}
	event := func(t watch.EventType, obj runtime.Object) *storage.Event {
		return &storage.Event{Type: t, Object: obj, ResourceVersion: uint64(rev)}
	}
	if ev.Type == mvccpb.DELETE {
		if old == nil {
			return nil, fmt.Errorf("etcd delete event for %s at revision %d without its previous value", ev.Kv.Key, rev)
		}
		if !matches(pred, old) {
			return nil, nil
		}
		return event(watch.Deleted, old), nil
	}

	cur, err := w.store.decode(string(ev.Kv.Key), ev.Kv.Value, rev)
	if err != nil {
		return nil, err
	}
	curMatches := matches(pred, cur)
	if ev.IsCreate() {
		if !curMatches {
			return nil, nil
		}
		return event(watch.Added, cur), nil
	}
	if pred.Empty() {
		return event(watch.Modified, cur), nil
	}
	oldMatches := old != nil && matches(pred, old)
	switch {
	case curMatches && oldMatches:
		return event(watch.Modified, cur), nil
	case curMatches:
		return event(watch.Added, cur), nil
	case oldMatches:
		return event(watch.Deleted, old), nil
	}
	return nil, nil
}

// matches applies the predicate as kube's watcher does: an object whose attributes cannot be
// read does not match.
func matches(pred storage.Predicate, obj runtime.Object) bool {
	ok, err := pred.Matches(obj)
	return err == nil && ok
}

// bookmark is an empty object of the resource's type carrying only the revision (and the end of
// initial events mark).
func (w *etcdWatcher) bookmark(rev int64, initialEventsEnd bool) *storage.Event {
	obj := w.store.codec.New()
	if m, err := meta.Accessor(obj); err == nil {
		_ = setResourceVersion(obj, rev)
		if initialEventsEnd {
			m.SetAnnotations(map[string]string{initialEventsEndAnnotation: "true"})
		}
	}
	return &storage.Event{Type: watch.Bookmark, Object: obj, ResourceVersion: uint64(rev)}
}

// errorEvent is the ERROR event that ends a watch: 410 Expired when the revision was compacted,
// otherwise the error as a Status (500 unless it already is one).
func (w *etcdWatcher) errorEvent(err error, compactRev int64) *storage.Event {
	var status apierrors.APIStatus
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		status = apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", w.rv, compactRev))
	case errors.As(err, &status):
	default:
		status = apierrors.NewInternalError(fmt.Errorf("watching %s: %w", w.key, err))
	}
	s := status.Status()
	return &storage.Event{Type: watch.Error, Object: &s}
}
