package filters

import (
	"net/http"
	"time"

	"github.com/kapi-dev/kapi/host/metrics"
	"github.com/kapi-dev/kapi/host/request"
)

// WithMetrics records every request in apiserver_request_total and
// apiserver_request_duration_seconds, whatever stage answered it (so 401s, 403s, 429s and 504s are
// counted too). It reads the RequestInfo and the received time from the context.
func WithMetrics(next http.Handler, m *metrics.Metrics, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, ok := request.ReceivedFrom(r.Context())
		if !ok {
			start = now()
		}
		rec := newStatusRecorder(w)
		defer func() {
			info, _ := request.InfoFrom(r.Context())
			code := rec.Code()
			v := recover()
			switch {
			case v != nil && !rec.written:
				// Panic recovery, further out, will answer 500.
				code = http.StatusInternalServerError
			case code == 0:
				code = http.StatusOK
			}
			m.ObserveRequest(info, code, now().Sub(start))
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
