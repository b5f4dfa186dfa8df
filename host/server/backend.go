package server

import (
	"context"
	"net/http"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/discovery"
	"github.com/kapi-dev/kapi/host/health"
	"github.com/kapi-dev/kapi/host/openapi"
	"github.com/kapi-dev/kapi/host/rest"
	"github.com/kapi-dev/kapi/registry"
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
	// stop releases everything the backend started.
	stop func()
}

// startBackend builds the registry and the handlers that serve it.
func startBackend(ctx context.Context, s *Server) (*backend, error) {
	reg := registry.New()
	chain := admission.NewNamedChain(s.admission.mutating, s.admission.validating)
	be := &backend{
		registry:  reg,
		discovery: discovery.NewHandler(reg, func(r *http.Request) string { return s.Addr() }),
		openapi:   openapi.NewHandler(reg),
		rest:      rest.NewHandler(reg, chain, rest.Options{Stop: s.stopLongRunning}),
		postStart: func(context.Context) error { return nil },
		stop:      func() {},
	}
	return be, nil
}
