// Package factory routes each resource to its storage: a watch cache (storage/watchcache) in
// front of an etcd3 store on the etcd client that serves the resource, embedded etcd by default,
// the --etcd-servers cluster otherwise, or a --etcd-servers-overrides cluster for some resources.
// It owns the clients, the embedded etcd and the compactors, and closes them. It imports the
// storage packages only, never the registry or the host.
package factory

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
	"github.com/kapi-dev/kapi/storage/etcd3"
	"github.com/kapi-dev/kapi/storage/etcdconfig"
	"github.com/kapi-dev/kapi/storage/watchcache"
)

// DefaultPrefix is where objects live in etcd when the configuration names no prefix, as in
// kube-apiserver (--etcd-prefix).
const DefaultPrefix = "/registry"

// checkTimeout bounds each client's health read in Check.
const checkTimeout = 2 * time.Second

// Factory hands out per-resource storage and owns what it runs on.
type Factory struct {
	cfg      etcdconfig.Config
	prefix   string
	reg      prometheus.Registerer
	metrics  *etcd3.Metrics
	embedded *embedded.Etcd
	defaults []string // the servers of resources without an override

	mu      sync.Mutex
	clients map[string]*clientv3.Client // by server set
	caches  map[*watchcache.Cache]struct{}
	closers []func() // compactors and the like, stopped before the clients close
	closed  bool
}

// New connects to the configured etcd servers, or, when cfg.Servers is empty, starts embedded
// etcd with its data in dataDir/etcd. reg receives the storage metrics; nil means none.
func New(ctx context.Context, cfg etcdconfig.Config, dataDir string, reg prometheus.Registerer) (*Factory, error) {
	f := &Factory{
		cfg:     cfg,
		prefix:  cfg.Prefix,
		reg:     reg,
		clients: map[string]*clientv3.Client{},
		caches:  map[*watchcache.Cache]struct{}{},
	}
	if f.prefix == "" {
		f.prefix = DefaultPrefix
	}
	if reg != nil {
		m, err := etcd3.NewMetrics(reg)
		if err != nil {
			return nil, fmt.Errorf("storage factory: %w", err)
		}
		f.metrics = m
	}
	f.defaults = cfg.Servers
	if len(cfg.Servers) == 0 {
		if dataDir == "" {
			return nil, errors.New("storage factory: no etcd servers configured and no data directory for embedded etcd")
		}
		e, err := embedded.Start(ctx, embedded.Config{Dir: filepath.Join(dataDir, "etcd")})
		if err != nil {
			return nil, fmt.Errorf("storage factory: %w", err)
		}
		f.embedded = e
		f.defaults = e.Endpoints()
	}
	// Make the default servers' client now: a malformed configuration fails at start-up. (The
	// client connects lazily; Check tells whether etcd answers.)
	if _, err := f.client(f.defaults); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ForResource returns the storage of one resource: a watch cache in front of an etcd3 store on
// the resource's etcd client, under the configured prefix. resourcePrefix is the resource's key
// prefix, e.g. "/configmaps/". The returned func stops the cache (when a resource goes away,
// e.g. a deleted CustomResourceDefinition); Close stops every cache as well.
func (f *Factory) ForResource(gr schema.GroupResource, resourcePrefix string, codec storage.Codec) (storage.Interface, func(), error) {
	servers := f.cfg.ServersFor(gr)
	if len(servers) == 0 {
		servers = f.defaults
	}
	client, err := f.client(servers)
	if err != nil {
		return nil, nil, err
	}
	opts := []etcd3.Option{etcd3.WithTypeLabel(gr.String())}
	if f.metrics != nil {
		opts = append(opts, etcd3.WithMetrics(f.metrics))
	}
	store := etcd3.New(client, f.prefix, codec, opts...)
	cache, err := watchcache.New(store, resourcePrefix, codec, watchcache.Options{
		GroupResource:   gr,
		Kind:            kindOf(gr, codec),
		Registerer:      f.reg,
		RequestProgress: requestProgress(client),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("storage for %s: %w", gr, err)
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		cache.Stop()
		return nil, nil, fmt.Errorf("storage for %s: the storage factory is closed", gr)
	}
	f.caches[cache] = struct{}{}
	f.mu.Unlock()
	stop := func() {
		f.mu.Lock()
		delete(f.caches, cache)
		f.mu.Unlock()
		cache.Stop()
	}
	return cache, stop, nil
}

// kindOf is the kind of a resource's objects as its codec stores them: an empty object, encoded
// and decoded again, carries the apiVersion and kind the codec writes (the registry's codecs
// write both, custom resources' too). A codec that writes none leaves the group and the Go
// type's name, with no version.
func kindOf(gr schema.GroupResource, codec storage.Codec) schema.GroupVersionKind {
	obj := codec.New()
	if data, err := codec.Encode(obj); err == nil {
		decoded := codec.New()
		if codec.Decode(data, decoded) == nil {
			if gvk := decoded.GetObjectKind().GroupVersionKind(); gvk.Kind != "" {
				return gvk
			}
		}
	}
	if gvk := obj.GetObjectKind().GroupVersionKind(); gvk.Kind != "" {
		return gvk
	}
	t := reflect.TypeOf(obj)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, unstructured := obj.(runtime.Unstructured); unstructured {
		return schema.GroupVersionKind{}
	}
	return schema.GroupVersionKind{Group: gr.Group, Kind: t.Name()}
}

// client returns the client of a server set, connecting on first use.
func (f *Factory) client(servers []string) (*clientv3.Client, error) {
	key := serverSetKey(servers)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("the storage factory is closed")
	}
	if c, ok := f.clients[key]; ok {
		return c, nil
	}
	c, err := etcdconfig.NewClient(servers, f.cfg.CAFile, f.cfg.CertFile, f.cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("connecting to etcd %v: %w", servers, err)
	}
	f.clients[key] = c
	f.closers = append(f.closers, f.startCompactor(c), startProgressRequests(c))
	return c, nil
}

// serverSetKey names a set of servers independently of their order.
func serverSetKey(servers []string) string {
	s := append([]string(nil), servers...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

// Check reads a key from every etcd client with a short timeout; /readyz's etcd check.
func (f *Factory) Check(ctx context.Context) error {
	f.mu.Lock()
	clients := make(map[string]*clientv3.Client, len(f.clients))
	for k, c := range f.clients {
		clients[k] = c
	}
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return errors.New("etcd: the storage factory is closed")
	}
	var errs []error
	for servers, c := range clients {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		_, err := c.Get(cctx, path.Join(f.prefix, "health"), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("etcd %s: %w", servers, err))
		}
	}
	return errors.Join(errs...)
}

// Close stops every cache and compactor, closes the clients and stops embedded etcd. It is safe
// to call more than once.
func (f *Factory) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	caches := f.caches
	f.caches = nil
	closers := f.closers
	clients := f.clients
	f.mu.Unlock()

	for c := range caches {
		c.Stop()
	}
	for _, stop := range closers {
		stop()
	}
	var errs []error
	for servers, c := range clients {
		if err := c.Close(); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("closing etcd client %s: %w", servers, err))
		}
	}
	if f.embedded != nil {
		if err := f.embedded.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
