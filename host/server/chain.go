package server

import (
	"net/http"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/host/metrics"
)

// chainConfig is what the filters need.
type chainConfig struct {
	authenticator               filters.RequestAuthenticator
	authorizer                  abi.Authorizer
	maxRequestsInFlight         int
	maxMutatingRequestsInFlight int
	requestTimeout              time.Duration
	metrics                     *metrics.Metrics
	// stopLongRunning is closed when the server shuts down, ending watches.
	stopLongRunning <-chan struct{}
	now             func() time.Time
}

// buildChain wraps the router in kapi's filters. This function IS the order: the stages below run
// top to bottom for every request, the first one outermost.
func buildChain(router http.Handler, c chainConfig) http.Handler {
	stages := []func(http.Handler) http.Handler{
		// 1. Panic recovery comes first, so a panic in any later stage becomes a 500 Status and a
		// logged stack, never a dead connection without an answer.
		filters.WithPanicRecovery,

		// 2. Bookkeeping: the received time and the Audit-ID are set before anything can answer,
		// so every answer (even a 401 or a 429) carries its ID and is timed from the start.
		func(h http.Handler) http.Handler { return filters.WithRequestBookkeeping(h, c.now) },

		// 3. RequestInfo: the path is parsed once here; every later stage (limits, metrics,
		// authorization, the REST handler) reads the result from the context.
		filters.WithRequestInfo,

		// Metrics sit right after RequestInfo, the first point where a request has labels, so
		// that rejections by the stages below are counted with their codes.
		func(h http.Handler) http.Handler { return filters.WithMetrics(h, c.metrics, c.now) },

		// 4. In-flight limits: cheap, and before any expensive work so an overloaded server sheds
		// load early. Long-running requests pass uncounted; they are tied to the server's life
		// right after, so shutdown can end them.
		func(h http.Handler) http.Handler {
			return filters.WithMaxInFlightLimit(h, c.maxRequestsInFlight, c.maxMutatingRequestsInFlight, c.metrics)
		},
		func(h http.Handler) http.Handler { return withStopOnShutdown(h, c.stopLongRunning) },

		// 5. Timeout: bounds everything below (authentication and authorization plugins included)
		// for requests that are not long-running.
		func(h http.Handler) http.Handler { return filters.WithTimeout(h, c.requestTimeout) },

		// 6. Authentication: who is asking. Authorization needs the user.
		func(h http.Handler) http.Handler { return filters.WithAuthentication(h, c.authenticator) },

		// 7. Audit goes here (a later issue): after authentication, so events name the user, and
		// before impersonation, so they record who really asked.

		// 8. Impersonation goes here (a later issue): it replaces the user, and is itself
		// authorized, so it sits between authentication and authorization.

		// 9. Authorization: whether the (possibly impersonated) user may do what RequestInfo says.
		func(h http.Handler) http.Handler { return filters.WithAuthorization(h, c.authorizer) },
	}
	// 10. The router, innermost.
	h := router
	for i := len(stages) - 1; i >= 0; i-- {
		h = stages[i](h)
	}
	return h
}
