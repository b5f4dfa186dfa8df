package controllers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// Options configure the controllers and Bootstrap.
type Options struct {
	// RootCAPEM is the cluster CA, published in every namespace as the "ca.crt" key of the
	// kube-root-ca.crt ConfigMap. Empty: no such ConfigMap is published (kube's publisher does
	// not run without a root CA either).
	RootCAPEM []byte
	// ServiceClusterIP is the kubernetes service's clusterIP: the first address of
	// --service-cluster-ip-range (10.96.0.1 when empty).
	ServiceClusterIP string
	// SecurePort is the port the kubernetes service's https port targets (6443 when 0).
	SecurePort int32
	// AdvertiseAddress, when set to an address others can reach (not loopback), is published
	// as the kubernetes service's Endpoints and EndpointSlice.
	AdvertiseAddress string
	// ResyncPeriod is how often the controllers look again at work that events alone could
	// miss; 30s when 0.
	ResyncPeriod time.Duration
	// RetryDelay is how long a controller waits before retrying work that failed or could not
	// finish yet (a namespace whose content is held by finalizers); 1s when 0.
	RetryDelay time.Duration
	// NamespaceDeletionGracePeriod is how long after a namespace's deletion its content starts
	// to be deleted; 5s when 0, as kube's namespace controller waits, so that every API server
	// and etcd member has seen the namespace terminating (and the last creates in it) first.
	NamespaceDeletionGracePeriod time.Duration
	// Repairs are passes that reconcile state the registry does not serve with the objects
	// that own it, such as the service address records against the services
	// (builtin.AddressRepair's RunOnce): each runs once when the controllers start and then
	// every RepairInterval, and a failed pass is logged and tried again at the next.
	Repairs []func(ctx context.Context) error
	// RepairInterval is the time between repair passes; 3 minutes when 0, kube-apiserver's
	// interval for its service IP and node port repair loops.
	RepairInterval time.Duration
	// Logger receives the controllers' errors; slog.Default() when nil.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ServiceClusterIP == "" {
		o.ServiceClusterIP = "10.96.0.1"
	}
	if o.SecurePort == 0 {
		o.SecurePort = 6443
	}
	if o.ResyncPeriod == 0 {
		o.ResyncPeriod = 30 * time.Second
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Second
	}
	if o.RepairInterval == 0 {
		o.RepairInterval = 3 * time.Minute
	}
	if o.NamespaceDeletionGracePeriod == 0 {
		o.NamespaceDeletionGracePeriod = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Well-known resources the controllers act on.
var (
	namespacesGVR      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	serviceAccountsGVR = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	configMapsGVR      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	servicesGVR        = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	endpointsGVR       = schema.GroupVersionResource{Version: "v1", Resource: "endpoints"}
	endpointSlicesGVR  = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// controller is one control loop: it hears every event, and works through its queue.
type controller interface {
	// observe sees every change (from many goroutines); it only queues work.
	observe(event)
	// resync queues the work that events alone could miss.
	resync()
	// queue is the controller's work queue.
	queue() *queue
	// work does one queued item; an error requeues it after the retry delay. Different keys
	// are worked on at once, the same key never.
	work(ctx context.Context, key string) error
	// workers is how many items the controller works on at once.
	workers() int
}

// Start runs the namespace lifecycle, garbage collection and namespace defaults controllers
// on reg, and opts.Repairs, until ctx ends or stop is called; stop waits for them to finish.
func Start(ctx context.Context, reg *registry.Registry, opts Options) (stop func()) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	ctrls := []controller{
		newNamespaceController(reg, opts),
		newGarbageCollector(reg, opts),
		newNamespaceDefaults(reg, opts),
	}
	in := newInformers(ctx, reg, func(ev event) {
		for _, c := range ctrls {
			c.observe(ev)
		}
	}, opts.Logger)

	var wg sync.WaitGroup
	for _, c := range ctrls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Work starts once every resource has been listed, so that no controller acts on
			// a partial picture (the garbage collector would think dependents missing).
			if !in.waitSynced(ctx) {
				return
			}
			c.resync()
			var workers sync.WaitGroup
			for i := 0; i < c.workers(); i++ {
				workers.Add(1)
				go func() {
					defer workers.Done()
					runWorker(ctx, c, opts)
				}()
			}
			workers.Wait()
		}()
	}
	for _, repair := range opts.Repairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runRepair(ctx, repair, opts)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(opts.ResyncPeriod)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, c := range ctrls {
					c.resync()
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			for _, c := range ctrls {
				c.queue().close()
			}
			wg.Wait()
			in.wait()
		})
	}
}

func runWorker(ctx context.Context, c controller, opts Options) {
	q := c.queue()
	for {
		key, ok := q.get(ctx)
		if !ok {
			return
		}
		err := c.work(ctx, key)
		q.done(key)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			opts.Logger.Debug("controllers: retrying", "key", key, "error", err)
			q.addAfter(key, opts.RetryDelay)
		}
	}
}

// runRepair runs a repair pass now and every RepairInterval until ctx ends.
func runRepair(ctx context.Context, repair func(context.Context) error, opts Options) {
	t := time.NewTicker(opts.RepairInterval)
	defer t.Stop()
	for {
		if err := repair(ctx); err != nil && ctx.Err() == nil {
			opts.Logger.Warn("controllers: repair pass failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
