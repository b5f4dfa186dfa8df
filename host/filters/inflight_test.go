package filters

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kapi-dev/kapi/host/metrics"
)

// TestMaxInFlightHammer releases many requests at once against a small limit: no more than the
// limit ever run together, and every request is either served or told 429.
func TestMaxInFlightHammer(t *testing.T) {
	const limit, requests = 5, 200
	var running, peak, served atomic.Int32
	h := withInfo(WithMaxInFlightLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		served.Add(1)
		running.Add(-1)
	}), limit, limit, metrics.New()))

	start := make(chan struct{})
	var wg sync.WaitGroup
	var rejected atomic.Int32
	for i := 0; i < requests; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			method := "GET"
			if i%2 == 0 {
				method = "POST"
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, "/api/v1/namespaces/a/configmaps", nil))
			if rec.Code == http.StatusTooManyRequests {
				rejected.Add(1)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if p := peak.Load(); p > 2*limit {
		t.Fatalf("%d requests ran together, limit %d per kind", p, limit)
	}
	if served.Load()+rejected.Load() != requests {
		t.Fatalf("served %d + rejected %d != %d", served.Load(), rejected.Load(), requests)
	}
	if running.Load() != 0 {
		t.Fatalf("%d still counted as running", running.Load())
	}
}
