package filters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"
)

// WithTimeout bounds requests that are not long-running (kube's --request-timeout, 1m by
// default). A client may ask for less with ?timeout=, never for more. The handler's context is
// cancelled at the deadline; if the handler has not answered by then the client gets 504 Timeout
// ("request did not complete within the allotted timeout"), and whatever the handler writes
// afterwards is dropped. If the handler had already started its answer, the response is aborted
// instead (a half-written body followed by a Status would be worse).
//
// The handler runs in its own goroutine so the filter can answer at the deadline; writes from both
// goroutines go through one mutex-guarded writer, so they never race.
func WithTimeout(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.InfoFrom(r.Context())
		if IsLongRunning(info) || timeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		d := timeout
		if q := r.URL.Query().Get("timeout"); q != "" {
			asked, err := time.ParseDuration(q)
			if err != nil {
				status.Write(w, r, apierrors.NewBadRequest(fmt.Sprintf("invalid timeout specified in the request URL: %v", err)))
				return
			}
			if asked > 0 && asked < d {
				d = asked
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		r = r.WithContext(ctx)

		tw := &timeoutWriter{w: w, h: http.Header{}}
		done := make(chan struct{})
		panicked := make(chan any, 1)
		go func() {
			defer func() {
				if v := recover(); v != nil {
					panicked <- v
					return
				}
				close(done)
			}()
			next.ServeHTTP(tw, r)
		}()
		select {
		case <-done:
		case v := <-panicked:
			// Re-panic in the serving goroutine, where panic recovery sits.
			panic(v)
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// The client went away; nobody is listening for an answer.
				tw.timeout(nil)
				return
			}
			tw.timeout(func() {
				status.Write(w, r, apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0))
			})
		}
	})
}

// timeoutWriter passes writes through until the deadline, and drops them afterwards. The handler
// sets headers on a map of its own, copied to the real writer when it writes its header, so a
// handler still busy after the deadline never touches a map the filter is writing.
type timeoutWriter struct {
	w http.ResponseWriter
	h http.Header

	mu          sync.Mutex
	timedOut    bool
	wroteHeader bool
}

// timeout ends the handler's access to the writer; answer writes the timeout response when the
// handler has not written anything yet. When it has, the response is aborted.
func (tw *timeoutWriter) timeout(answer func()) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.timedOut = true
	if answer == nil {
		return
	}
	if tw.wroteHeader {
		panic(http.ErrAbortHandler)
	}
	answer()
}

// Header is the handler's own header map; only the handler's goroutine uses it.
func (tw *timeoutWriter) Header() http.Header { return tw.h }

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut || tw.wroteHeader {
		return
	}
	tw.writeHeaderLocked(code)
}

// writeHeaderLocked copies the handler's headers to the real writer and writes the status line.
func (tw *timeoutWriter) writeHeaderLocked(code int) {
	dst := tw.w.Header()
	for k, v := range tw.h {
		dst[k] = v
	}
	tw.wroteHeader = true
	tw.w.WriteHeader(code)
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	return tw.w.Write(b)
}

// Flush passes through until the deadline.
func (tw *timeoutWriter) Flush() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return
	}
	if !tw.wroteHeader {
		tw.writeHeaderLocked(http.StatusOK)
	}
	if f, ok := tw.w.(http.Flusher); ok {
		f.Flush()
	}
}
