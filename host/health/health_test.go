package health

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEndpoint(t *testing.T) {
	etcdDown := Check{Name: "etcd", Run: func(*http.Request) error { return errors.New("connection refused") }}
	etcdUp := Check{Name: "etcd", Run: func(*http.Request) error { return nil }}
	hook := NewHook("start-controllers")
	shutdown := NewShutdown()
	cases := []struct {
		name   string
		checks []Check
		url    string
		before func()
		code   int
		body   string
	}{
		{"ok", []Check{Ping, Log, etcdUp}, "/readyz", nil, 200, "ok"},
		{"verbose", []Check{Ping, Log, etcdUp}, "/readyz?verbose", nil, 200,
			"[+]ping ok\n[+]log ok\n[+]etcd ok\nreadyz check passed\n"},
		{"failure is verbose and withholds the reason", []Check{Ping, etcdDown}, "/readyz", nil, 500,
			"[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n"},
		{"exclude", []Check{Ping, etcdDown}, "/readyz?verbose&exclude=etcd", nil, 200,
			"[+]ping ok\n[+]etcd excluded: ok\nreadyz check passed\n"},
		{"exclude unknown", []Check{Ping}, "/readyz?verbose&exclude=nope", nil, 200,
			"[+]ping ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nreadyz check passed\n"},
		{"hook not done", []Check{Ping, hook.Check()}, "/readyz", nil, 500,
			"[+]ping ok\n[-]poststarthook/start-controllers failed: reason withheld\nreadyz check failed\n"},
		{"hook done", []Check{Ping, hook.Check()}, "/readyz", hook.Done, 200, "ok"},
		{"shutdown not begun", []Check{shutdown.Check()}, "/readyz", nil, 200, "ok"},
		{"shutdown begun", []Check{shutdown.Check()}, "/readyz", shutdown.Set, 500,
			"[-]shutdown failed: reason withheld\nreadyz check failed\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			rec := httptest.NewRecorder()
			NewEndpoint("readyz", tc.checks...).ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			if rec.Code != tc.code || rec.Body.String() != tc.body {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.code, tc.body)
			}
		})
	}
}

func TestServeCheck(t *testing.T) {
	e := NewEndpoint("healthz", Ping, Check{Name: "etcd", Run: func(*http.Request) error { return errors.New("down") }})
	cases := []struct {
		check string
		code  int
		body  string
	}{
		{"ping", 200, "ok"},
		{"etcd", 500, "internal server error: down\n"},
		{"nope", 404, "404 page not found\n"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		e.ServeCheck(rec, httptest.NewRequest("GET", "/healthz/"+tc.check, nil), tc.check)
		if rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s: got %d %q", tc.check, rec.Code, rec.Body.String())
		}
	}
}
