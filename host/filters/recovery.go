package filters

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/kapi-dev/kapi/host/status"
)

// WithPanicRecovery turns a panic in any later stage into a 500 InternalError Status and a log line
// with the stack, and keeps the server serving. http.ErrAbortHandler is re-panicked, as net/http
// expects: it is how a handler (the timeout filter, say) aborts a response on purpose. A panic after
// the response has started cannot be turned into a Status any more; the connection is aborted so
// the client does not take a truncated body for a whole one.
func WithPanicRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := newStatusRecorder(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			slog.Error("apiserver panicked", "method", r.Method, "uri", r.RequestURI, "panic", v, "stack", string(debug.Stack()))
			if rec.written {
				panic(http.ErrAbortHandler)
			}
			status.InternalError(rec, r, errors.New("This request caused apiserver to panic. Look in the logs for details."))
		}()
		next.ServeHTTP(rec, r)
	})
}
