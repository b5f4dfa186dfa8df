package watchcache

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Defaults for Options fields left zero.
const (
	DefaultCapacity           = 1000
	DefaultMaxCapacity        = 100 * 1024
	DefaultEventFreshDuration = 75 * time.Second
	DefaultWatcherBuffer      = 100
	DefaultDispatchTimeout    = 100 * time.Millisecond
	DefaultBookmarkInterval   = time.Minute
	DefaultFreshnessTimeout   = 3 * time.Second
	DefaultListPageSize       = 10000
)

// Options tune a Cache. The zero value is usable: every zero field takes its default.
type Options struct {
	// GroupResource names the resource in metrics and logs.
	GroupResource schema.GroupResource
	// Kind labels the registered-watchers gauge (group, version, kind, as kube's); an empty Kind
	// uses the resource name.
	Kind schema.GroupVersionKind

	// Capacity is the event buffer's initial and smallest size. The buffer doubles (up to
	// MaxCapacity) while it holds less than EventFreshDuration of history, and halves again when
	// a quarter of it covers more, as kube's watch cache does.
	Capacity           int
	MaxCapacity        int
	EventFreshDuration time.Duration

	// WatcherBuffer is how many events may wait for one watcher before the dispatcher has to wait
	// for it; a watcher still full after DispatchTimeout is terminated (slow consumer).
	WatcherBuffer   int
	DispatchTimeout time.Duration

	// BookmarkInterval is how often watchers that asked for bookmarks get one.
	BookmarkInterval time.Duration
	// FreshnessTimeout bounds the wait for the cache to reach a requested resourceVersion before
	// a read fails with ErrCodeTooLargeResourceVersion.
	FreshnessTimeout time.Duration
	// ListPageSize is the page size of the lists that (re)fill the cache.
	ListPageSize int64

	// RequestProgress, when set, asks the underlying watch for a progress notification (etcd's
	// RequestProgress on the client whose watch feeds the cache). A read that waits for a newer
	// resourceVersion than the cache has seen calls it, so that revisions written to other
	// resources become visible without waiting for a change of this one.
	RequestProgress func(ctx context.Context) error

	// Registerer receives the cache's metrics; nil means no metrics.
	Registerer prometheus.Registerer
	// Logger receives warnings (relists, terminated watchers); nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults validates o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	if o.Capacity == 0 {
		o.Capacity = DefaultCapacity
	}
	if o.MaxCapacity == 0 {
		o.MaxCapacity = max(DefaultMaxCapacity, o.Capacity)
	}
	if o.EventFreshDuration == 0 {
		o.EventFreshDuration = DefaultEventFreshDuration
	}
	if o.WatcherBuffer == 0 {
		o.WatcherBuffer = DefaultWatcherBuffer
	}
	if o.DispatchTimeout == 0 {
		o.DispatchTimeout = DefaultDispatchTimeout
	}
	if o.BookmarkInterval == 0 {
		o.BookmarkInterval = DefaultBookmarkInterval
	}
	if o.FreshnessTimeout == 0 {
		o.FreshnessTimeout = DefaultFreshnessTimeout
	}
	if o.ListPageSize == 0 {
		o.ListPageSize = DefaultListPageSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch {
	case o.Capacity < 1:
		return o, fmt.Errorf("watch cache options: Capacity %d must be positive", o.Capacity)
	case o.MaxCapacity < o.Capacity:
		return o, fmt.Errorf("watch cache options: MaxCapacity %d is below Capacity %d", o.MaxCapacity, o.Capacity)
	case o.WatcherBuffer < 1:
		return o, fmt.Errorf("watch cache options: WatcherBuffer %d must be positive", o.WatcherBuffer)
	case o.DispatchTimeout < 0, o.BookmarkInterval < 0, o.FreshnessTimeout < 0, o.EventFreshDuration < 0:
		return o, fmt.Errorf("watch cache options: durations must not be negative")
	case o.ListPageSize < 0:
		return o, fmt.Errorf("watch cache options: ListPageSize %d must not be negative", o.ListPageSize)
	}
	return o, nil
}
