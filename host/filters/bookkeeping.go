package filters

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kapi-dev/kapi/host/request"
)

// AuditIDHeader carries the request's ID: taken from the client when it sends one, generated
// otherwise, and echoed in the response, as kube-apiserver does.
const AuditIDHeader = "Audit-ID"

// WithRequestBookkeeping records when the request was received and its ID, and marks the response
// as not cacheable (Cache-Control: no-cache, private), as kube's WithCacheControl: API answers
// depend on who asks and change all the time.
func WithRequestBookkeeping(next http.Handler, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := request.WithReceived(r.Context(), now())
		id := r.Header.Get(AuditIDHeader)
		if id == "" {
			id = uuid.NewString()
		}
		ctx = request.WithAuditID(ctx, id)
		h := w.Header()
		h.Set(AuditIDHeader, id)
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-cache, private")
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
