package rest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkGetConfigMap measures a GET through the RequestInfo filter and the handler, with the
// generic store on embedded etcd behind it.
func BenchmarkGetConfigMap(b *testing.B) {
	e := newEnv(b)
	e.createConfigMap(b, "bench")
	r := httptest.NewRequest("GET", cmPath+"/bench", nil)
	serveRepeatedly(b, e.handler, r)
}

// BenchmarkCreateConfigMap measures a POST of a new configmap through the handler to etcd.
func BenchmarkCreateConfigMap(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench-%d"},"data":{"k":"v"}}`, i)
		r := httptest.NewRequest("POST", cmPath, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, r)
		if rec.Code != http.StatusCreated {
			b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListConfigMapsAsTable measures kubectl get's request for a page of 50 configmaps.
func BenchmarkListConfigMapsAsTable(b *testing.B) {
	e := newEnv(b)
	for i := 0; i < 50; i++ {
		e.createConfigMap(b, fmt.Sprintf("cm-%02d", i))
	}
	r := httptest.NewRequest("GET", cmPath+"?limit=500", nil)
	r.Header.Set("Accept", kubectlGetAccept)
	serveRepeatedly(b, e.handler, r)
}

// serveRepeatedly serves r through h for each benchmark iteration, each answer 200 OK.
func serveRepeatedly(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
	}
}
