package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/discovery"
	"github.com/kapi-dev/kapi/host/health"
	"github.com/kapi-dev/kapi/host/openapi"
	"github.com/kapi-dev/kapi/host/rest"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/controllers"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcdconfig"
	"github.com/kapi-dev/kapi/storage/factory"
)

// backend is the API behind the router: the registry and its storage, and the handlers that serve
// them.
type backend struct {
	registry  *registry.Registry
	discovery discoveryServer
	openapi   openAPIServer
	rest      http.Handler
	// checks are health checks of the backend (etcd).
	checks []health.Check
	// postStart runs once the server is serving (bootstrap objects, controllers).
	postStart func(ctx context.Context) error
	// stop releases everything the backend started, controllers first, storage last.
	stop func()
}

// EtcdConfig turns the etcd flags into storage's configuration.
func (c *Config) EtcdConfig() (etcdconfig.Config, error) {
	overrides, err := etcdconfig.ParseOverrides(c.EtcdServersOverrides)
	if err != nil {
		return etcdconfig.Config{}, fmt.Errorf("--etcd-servers-overrides: %w", err)
	}
	return etcdconfig.Config{
		Servers: c.EtcdServers, CAFile: c.EtcdCAFile, CertFile: c.EtcdCertFile, KeyFile: c.EtcdKeyFile,
		Prefix: c.EtcdPrefix, Overrides: overrides, CompactionInterval: c.EtcdCompactionInterval,
	}, nil
}

// startBackend starts storage (embedded etcd unless --etcd-servers), serves every built-in
// resource from the generic store on it, and builds the handlers.
func startBackend(ctx context.Context, s *Server) (*backend, error) {
	etcdCfg, err := s.cfg.EtcdConfig()
	if err != nil {
		return nil, err
	}
	f, err := factory.New(ctx, etcdCfg, s.cfg.DataDir, s.metrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("starting storage: %w", err)
	}
	reg := s.registry
	deps := generic.Deps{Namespace: generic.NamespaceGetter(reg)}
	var addressRepair *builtin.AddressRepair
	err = generic.Install(reg, builtin.Resources(), deps, func(res *registry.Resource) (storage.Interface, error) {
		gr := schema.GroupResource{Group: res.Group, Resource: res.Plural}
		store, _, err := f.ForResource(gr, generic.KeyPrefix(res), generic.Codec(res))
		if err != nil || gr != (schema.GroupResource{Resource: "services"}) {
			return store, err
		}
		// Cluster IPs and node ports are allocated from records in etcd, unique across
		// replicas, as kube's service REST does.
		allocating, repair, err := serviceAddresses(f, s.cfg.ServiceClusterIPRange, store)
		addressRepair = repair
		return allocating, err
	})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	for _, e := range reviewEntries(s.authenticator, s.authorizer) {
		reg.Add(e)
	}

	ctrlOpts, err := s.controllerOptions()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if addressRepair != nil {
		// The controllers run the address repair, so that it stops with them, before storage.
		ctrlOpts.Repairs = append(ctrlOpts.Repairs, addressRepair.RunOnce)
	}
	ctrlCtx, stopCtrl := context.WithCancel(context.Background())
	var (
		mu              sync.Mutex
		stopControllers = func() {}
	)
	be := &backend{
		registry:  reg,
		discovery: discovery.NewHandler(reg, func(r *http.Request) string { return s.Addr() }),
		openapi:   openapi.NewHandler(reg),
		rest:      rest.NewHandler(reg, s.admission, rest.Options{Stop: s.stopLongRunning}),
		checks: []health.Check{{Name: "etcd", Run: func(r *http.Request) error {
			return f.Check(r.Context())
		}}},
		postStart: func(ctx context.Context) error {
			if err := controllers.Bootstrap(ctx, reg, ctrlOpts); err != nil {
				return fmt.Errorf("bootstrap objects: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			stopControllers = controllers.Start(ctrlCtx, reg, ctrlOpts)
			return nil
		},
	}
	be.stop = func() {
		stopCtrl()
		mu.Lock()
		stopControllers()
		mu.Unlock()
		_ = f.Close()
	}
	return be, nil
}

// serviceAddresses wraps the services' storage with cluster IP and node port allocation, its
// records kept beside the services, and returns the repair of those records.
func serviceAddresses(f *factory.Factory, cidr *net.IPNet, services storage.Interface) (storage.Interface, *builtin.AddressRepair, error) {
	var records []storage.Interface
	for _, res := range []*registry.Resource{builtin.IPAddressRecords, builtin.NodePortRecords} {
		gr := schema.GroupResource{Group: res.Group, Resource: res.Plural}
		s, _, err := f.ForResource(gr, generic.KeyPrefix(res), generic.Codec(res))
		if err != nil {
			return nil, nil, fmt.Errorf("storage for %s: %w", gr, err)
		}
		records = append(records, s)
	}
	addrs := builtin.NewServiceAddresses(records[0], records[1], cidr)
	return addrs.Storage(services), addrs.Repair(services, nil), nil
}

// controllerOptions are what the bootstrap objects and controllers need of the configuration.
func (s *Server) controllerOptions() (controllers.Options, error) {
	opts := controllers.Options{}
	if s.cfg.RootCAFile != "" {
		pem, err := os.ReadFile(s.cfg.RootCAFile)
		if err != nil {
			return opts, fmt.Errorf("root CA: %w", err)
		}
		opts.RootCAPEM = pem
	}
	if ip := FirstServiceIP(s.cfg.ServiceClusterIPRange); ip != nil {
		opts.ServiceClusterIP = ip.String()
	}
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return opts, err
	}
	p, _ := strconv.Atoi(port)
	opts.SecurePort = int32(p)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	opts.AdvertiseAddress = host
	return opts, nil
}
