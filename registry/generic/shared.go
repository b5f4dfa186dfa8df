package generic

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// SharedStorage returns res's storage when res.SharedStorage names another resource's: owner is
// that resource's storage and ownerPrefix its KeyPrefix. Keys below KeyPrefix(res) are read and
// written below ownerPrefix, and objects are converted with res.SharedStorage's functions on the
// way in and out, so the generic store for res sees only its own type. A write through either
// resource is seen by reads and watches of both, as kube serves events.k8s.io events from the
// core events' storage. Predicates (selectors) are judged on the converted object, so each
// resource keeps its own selectable fields.
func SharedStorage(res *registry.Resource, owner storage.Interface, ownerPrefix string) storage.Interface {
	return &sharedStorage{res: res, conv: res.SharedStorage, owner: owner, prefix: KeyPrefix(res), ownerPrefix: ownerPrefix}
}

// sharedStorage is the storage.Interface that SharedStorage returns.
type sharedStorage struct {
	res         *registry.Resource
	conv        *registry.SharedStorage
	owner       storage.Interface
	prefix      string
	ownerPrefix string
}

var _ storage.Interface = (*sharedStorage)(nil)

// key maps one of the resource's keys to the owner's.
func (s *sharedStorage) key(key string) string {
	if rest, ok := strings.CutPrefix(key, s.prefix); ok {
		return s.ownerPrefix + rest
	}
	return key
}

func (s *sharedStorage) to(obj runtime.Object) (runtime.Object, error) {
	if obj == nil {
		return nil, nil
	}
	out, err := s.conv.ToStorage(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s for storage: %w", s.res.Kind, err)
	}
	return out, nil
}

func (s *sharedStorage) from(obj runtime.Object) (runtime.Object, error) {
	if obj == nil {
		return nil, nil
	}
	out, err := s.conv.FromStorage(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s from storage: %w", s.res.Kind, err)
	}
	return out, nil
}

// Create converts obj and stores it in the owner's storage.
func (s *sharedStorage) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	in, err := s.to(obj)
	if err != nil {
		return nil, err
	}
	out, err := s.owner.Create(ctx, s.key(key), in)
	if err != nil {
		return nil, err
	}
	return s.from(out)
}

// Get reads the owner's object and converts it.
func (s *sharedStorage) Get(ctx context.Context, key string, opts storage.GetOptions) (runtime.Object, error) {
	out, err := s.owner.Get(ctx, s.key(key), opts)
	if err != nil {
		return nil, err
	}
	return s.from(out)
}

// GetList lists the owner's objects, judging the predicate on converted objects, and converts
// the list.
func (s *sharedStorage) GetList(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, error) {
	opts.Predicate = s.predicate(opts.Predicate)
	list, err := s.owner.GetList(ctx, s.key(key), opts)
	if err != nil {
		return nil, err
	}
	return s.fromList(list)
}

// fromList converts a list of the owner's type into the resource's list type.
func (s *sharedStorage) fromList(list runtime.Object) (runtime.Object, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("reading a %s list: %w", s.conv.Resource, err)
	}
	converted := make([]runtime.Object, len(items))
	for i, item := range items {
		if converted[i], err = s.from(item); err != nil {
			return nil, err
		}
	}
	out := s.res.NewList()
	if err := meta.SetList(out, converted); err != nil {
		return nil, fmt.Errorf("making a %s list: %w", s.res.Kind, err)
	}
	src, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	dst, err := meta.ListAccessor(out)
	if err != nil {
		return nil, err
	}
	dst.SetResourceVersion(src.GetResourceVersion())
	dst.SetContinue(src.GetContinue())
	dst.SetRemainingItemCount(src.GetRemainingItemCount())
	if !list.GetObjectKind().GroupVersionKind().Empty() {
		gvk := s.res.GroupVersionKind()
		gvk.Kind += "List"
		out.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return out, nil
}

// predicate judges the owner's objects as the resource's: GetAttrs sees the converted object.
func (s *sharedStorage) predicate(p storage.Predicate) storage.Predicate {
	if p.GetAttrs == nil {
		return p
	}
	getAttrs := p.GetAttrs
	p.GetAttrs = func(obj runtime.Object) (labels.Set, fields.Set, error) {
		converted, err := s.from(obj)
		if err != nil {
			return nil, nil, err
		}
		return getAttrs(converted)
	}
	return p
}

// GuaranteedUpdate runs tryUpdate on the converted current object and stores its converted
// result.
func (s *sharedStorage) GuaranteedUpdate(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc) (runtime.Object, error) {
	out, err := s.owner.GuaranteedUpdate(ctx, s.key(key), preconditions, ignoreNotFound, func(current runtime.Object) (runtime.Object, error) {
		cur, err := s.from(current)
		if err != nil {
			return nil, err
		}
		updated, err := tryUpdate(cur)
		if err != nil {
			return nil, err
		}
		return s.to(updated)
	})
	if err != nil {
		return nil, err
	}
	return s.from(out)
}

// Delete deletes the owner's object, validate seeing it converted.
func (s *sharedStorage) Delete(ctx context.Context, key string, preconditions *storage.Preconditions, validate func(current runtime.Object) error) (runtime.Object, error) {
	var check func(runtime.Object) error
	if validate != nil {
		check = func(current runtime.Object) error {
			cur, err := s.from(current)
			if err != nil {
				return err
			}
			return validate(cur)
		}
	}
	out, err := s.owner.Delete(ctx, s.key(key), preconditions, check)
	if err != nil {
		return nil, err
	}
	return s.from(out)
}

// Watch watches the owner's objects and converts each event.
func (s *sharedStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (storage.Watcher, error) {
	opts.Predicate = s.predicate(opts.Predicate)
	w, err := s.owner.Watch(ctx, s.key(key), opts)
	if err != nil {
		return nil, err
	}
	cw := &convertingWatcher{inner: w, from: s.from, out: make(chan *storage.Event), done: make(chan struct{})}
	go cw.run()
	return cw, nil
}

// CurrentResourceVersion is the owner's.
func (s *sharedStorage) CurrentResourceVersion(ctx context.Context) (uint64, error) {
	return s.owner.CurrentResourceVersion(ctx)
}

// convertingWatcher converts the events of a watch on the owner's storage. Each event is a new
// one (the owner's events are shared with its other watchers and must not change).
type convertingWatcher struct {
	inner storage.Watcher
	from  func(runtime.Object) (runtime.Object, error)
	out   chan *storage.Event
	done  chan struct{}
	once  sync.Once
}

func (w *convertingWatcher) run() {
	defer close(w.out)
	in := w.inner.ResultChan()
	for {
		var ev *storage.Event
		select {
		case <-w.done:
			return
		case e, ok := <-in:
			if !ok {
				return
			}
			ev = w.convert(e)
		}
		select {
		case <-w.done:
			return
		case w.out <- ev:
		}
	}
}

// convert converts one event; error events pass as they are, and a failed conversion becomes
// an error event.
func (w *convertingWatcher) convert(e *storage.Event) *storage.Event {
	if e.Type == watch.Error {
		return e
	}
	obj, err := w.from(e.Object)
	if err != nil {
		return &storage.Event{Type: watch.Error, Object: internalStatus(err), ResourceVersion: e.ResourceVersion}
	}
	return &storage.Event{Type: e.Type, Object: obj, ResourceVersion: e.ResourceVersion}
}

// ResultChan is the converted events.
func (w *convertingWatcher) ResultChan() <-chan *storage.Event { return w.out }

// Stop stops the owner's watch and the conversion.
func (w *convertingWatcher) Stop() {
	w.once.Do(func() { close(w.done) })
	w.inner.Stop()
}

func internalStatus(err error) *metav1.Status {
	st := apierrors.NewInternalError(err).Status()
	return &st
}
