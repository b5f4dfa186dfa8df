package filters

import (
	"errors"
	"net/http"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/host/metrics"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"
)

// WithMaxInFlightLimit bounds how many requests are served at once, read-only and mutating ones
// separately (kube's --max-requests-inflight and --max-mutating-requests-inflight); a limit of 0
// means no limit for that kind. A request over the limit gets 429 TooManyRequests with
// Retry-After: 1. Long-running requests (watches) are not counted against the limits; they are
// tracked in apiserver_longrunning_requests instead.
func WithMaxInFlightLimit(next http.Handler, maxReadOnly, maxMutating int, m *metrics.Metrics) http.Handler {
	readOnly := newSlots(maxReadOnly, "readOnly", m)
	mutating := newSlots(maxMutating, "mutating", m)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := request.InfoFrom(r.Context())
		if !ok {
			status.InternalError(w, r, errors.New("no RequestInfo found in the context, the handler chain is wrong"))
			return
		}
		if IsLongRunning(info) {
			done := m.TrackLongRunning(info)
			defer done()
			next.ServeHTTP(w, r)
			return
		}
		s := readOnly
		if IsMutating(info) {
			s = mutating
		}
		if !s.acquire() {
			status.Write(w, r, apierrors.NewTooManyRequests("Too many requests, please try again later.", 1))
			return
		}
		defer s.release()
		next.ServeHTTP(w, r)
	})
}

// slots counts requests of one kind in flight against a limit (0: unlimited).
type slots struct {
	limit int
	kind  string
	m     *metrics.Metrics

	mu   sync.Mutex
	used int
}

func newSlots(limit int, kind string, m *metrics.Metrics) *slots {
	return &slots{limit: limit, kind: kind, m: m}
}

func (s *slots) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && s.used >= s.limit {
		return false
	}
	s.used++
	s.m.SetInflight(s.kind, s.used)
	return true
}

func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used--
	s.m.SetInflight(s.kind, s.used)
}
