package server

import (
	"context"
	"net/http"

	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/host/request"
)

// withStopOnShutdown cancels the context of long-running requests (watches) when stop closes, so
// that at shutdown they end their streams cleanly instead of holding http.Server.Shutdown until its
// bound. Other requests keep their context and are allowed to finish.
func withStopOnShutdown(next http.Handler, stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.InfoFrom(r.Context())
		if stop == nil || !filters.IsLongRunning(info) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
