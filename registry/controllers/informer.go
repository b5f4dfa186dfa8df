package controllers

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
)

// event is one change to one object of one resource, as the controllers see it.
type event struct {
	entry *registry.Entry
	typ   watch.EventType // Added, Modified or Deleted
	obj   runtime.Object
	meta  metav1.Object
}

// informers keeps one list-and-watch per registry entry running, following the registry as
// entries come and go, and hands every change to handle (from many goroutines at once).
type informers struct {
	reg    *registry.Registry
	handle func(event)
	log    *slog.Logger
	// relistDelay is the pause before listing again after a watch fails.
	relistDelay time.Duration

	ctx     context.Context
	mu      sync.Mutex
	running map[schema.GroupVersionResource]*informer
	wg      sync.WaitGroup

	// initial counts the informers of the entries present at start that have not listed yet;
	// synced closes when it reaches zero.
	initial int
	synced  chan struct{}
}

type informer struct {
	entry  *registry.Entry
	cancel context.CancelFunc
}

func newInformers(ctx context.Context, reg *registry.Registry, handle func(event), log *slog.Logger) *informers {
	in := &informers{
		reg: reg, handle: handle, log: log, relistDelay: time.Second,
		ctx: ctx, running: map[schema.GroupVersionResource]*informer{}, synced: make(chan struct{}),
	}
	entries := watchable(reg.Entries())
	in.initial = len(entries)
	if in.initial == 0 {
		close(in.synced)
	}
	in.mu.Lock()
	for _, e := range entries {
		in.startLocked(e, true)
	}
	in.mu.Unlock()
	reg.OnChange(in.follow)
	return in
}

// follow starts informers for new entries and stops those of removed or replaced ones.
func (in *informers) follow() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ctx.Err() != nil {
		return
	}
	current := map[schema.GroupVersionResource]*registry.Entry{}
	for _, e := range watchable(in.reg.Entries()) {
		current[e.Resource.GroupVersionResource()] = e
	}
	for gvr, inf := range in.running {
		if current[gvr] != inf.entry {
			inf.cancel()
			delete(in.running, gvr)
		}
	}
	for gvr, e := range current {
		if _, ok := in.running[gvr]; !ok {
			in.startLocked(e, false)
		}
	}
}

func (in *informers) startLocked(e *registry.Entry, initial bool) {
	ctx, cancel := context.WithCancel(in.ctx)
	in.running[e.Resource.GroupVersionResource()] = &informer{entry: e, cancel: cancel}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		in.run(ctx, e, initial)
	}()
}

// waitSynced waits until every entry present at start has been listed once.
func (in *informers) waitSynced(ctx context.Context) bool {
	select {
	case <-in.synced:
		return true
	case <-ctx.Done():
		return false
	}
}

func (in *informers) markSynced() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.initial--
	if in.initial == 0 {
		close(in.synced)
	}
}

// wait waits for every informer goroutine to end (after the context ends).
func (in *informers) wait() { in.wg.Wait() }

// watchable are the entries an informer can follow: those that list and watch (not the
// create-only reviews, say).
func watchable(entries []*registry.Entry) []*registry.Entry {
	var out []*registry.Entry
	for _, e := range entries {
		if hasVerb(e.Resource, "list") && hasVerb(e.Resource, "watch") {
			out = append(out, e)
		}
	}
	return out
}

// maxRelistDelay bounds the backoff between failing lists of one resource.
const maxRelistDelay = 30 * time.Second

// run lists and watches one resource until ctx ends. A relist reports objects that vanished
// while the watch was down as deleted.
func (in *informers) run(ctx context.Context, e *registry.Entry, initial bool) {
	known := map[string]metav1.Object{}
	delay := in.relistDelay
	for ctx.Err() == nil {
		rv, err := in.list(ctx, e, known)
		if err == nil {
			delay = in.relistDelay
		}
		if initial {
			// Even a failed first list counts: one broken resource must not keep every
			// controller waiting. The controllers check what matters against the stores.
			initial = false
			in.markSynced()
		}
		for err == nil && ctx.Err() == nil {
			rv, err = in.watch(ctx, e, rv, known)
		}
		if ctx.Err() != nil {
			break
		}
		in.log.Debug("controllers: relisting", "resource", e.Resource.GroupVersionResource().String(), "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRelistDelay)
	}
	if initial {
		in.markSynced()
	}
}

func objectKey(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }

func (in *informers) list(ctx context.Context, e *registry.Entry, known map[string]metav1.Object) (string, error) {
	// resourceVersion "0": any recent state will do (the watch that follows catches up), and
	// the watch cache answers it from memory rather than etcd, as client-go's informers ask.
	list, err := e.Store.List(ctx, "", &metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return "", err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return "", err
	}
	listMeta, err := meta.ListAccessor(list)
	if err != nil {
		return "", err
	}
	seen := make(map[string]bool, len(items))
	for _, item := range items {
		m, err := meta.Accessor(item)
		if err != nil {
			continue
		}
		key := objectKey(m)
		seen[key] = true
		typ := watch.Added
		if _, ok := known[key]; ok {
			typ = watch.Modified
		}
		known[key] = m
		in.handle(event{entry: e, typ: typ, obj: item, meta: m})
	}
	for key, m := range known {
		if !seen[key] {
			delete(known, key)
			in.handle(event{entry: e, typ: watch.Deleted, obj: m.(runtime.Object), meta: m})
		}
	}
	return listMeta.GetResourceVersion(), nil
}

// watch follows changes after rv until the watch ends; it answers the newest resourceVersion
// seen (to resume from) or an error (to relist).
func (in *informers) watch(ctx context.Context, e *registry.Entry, rv string, known map[string]metav1.Object) (string, error) {
	w, err := e.Store.Watch(ctx, "", &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
	if err != nil {
		return rv, err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv, nil
			}
			if ev.ResourceVersion > 0 {
				rv = strconv.FormatUint(ev.ResourceVersion, 10)
			}
			switch ev.Type {
			case watch.Error:
				return rv, errWatchFailed{ev.Object}
			case watch.Bookmark:
				if m, err := meta.Accessor(ev.Object); err == nil && m.GetResourceVersion() != "" {
					rv = m.GetResourceVersion()
				}
				continue
			}
			m, err := meta.Accessor(ev.Object)
			if err != nil {
				continue
			}
			if m.GetResourceVersion() != "" && ev.Type != watch.Deleted {
				rv = m.GetResourceVersion()
			}
			key := objectKey(m)
			if ev.Type == watch.Deleted {
				delete(known, key)
			} else {
				known[key] = m
			}
			in.handle(event{entry: e, typ: ev.Type, obj: ev.Object, meta: m})
		}
	}
}

// errWatchFailed is a watch's ERROR event, to make the informer relist.
type errWatchFailed struct{ status runtime.Object }

func (e errWatchFailed) Error() string {
	if s, ok := e.status.(*metav1.Status); ok {
		return "watch failed: " + s.Message
	}
	return "watch failed"
}
