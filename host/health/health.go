// Package health serves /healthz, /livez and /readyz in kube-apiserver's format: "ok" when every
// check passes, a "[+]name ok" / "[-]name failed: reason withheld" listing with ?verbose or on
// failure, ?exclude=name to skip a check, and /<endpoint>/<check> for one check's own answer.
//
// health imports nothing of ours; the checks it runs are functions the server gives it.
package health

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
)

// Check is one named health check.
type Check struct {
	Name string
	// Run answers nil when healthy. It should be quick: probes call it often.
	Run func(r *http.Request) error
	// Informational checks report a failure, with its reason, in the verbose answer without
	// failing the endpoint: something is wrong, but the server still serves (a failed plugin
	// reload leaves the old version running).
	Informational bool
}

// Ping always passes: the server answers HTTP.
var Ping = Check{Name: "ping", Run: func(*http.Request) error { return nil }}

// Log passes while the server can log (kube's check guards against a blocked log writer; slog
// writes synchronously, so reaching the check proves it).
var Log = Check{Name: "log", Run: func(*http.Request) error { return nil }}

// Flag is a check that fails until (or after) something happens: a post-start hook that has not
// finished, or the start of shutdown.
type Flag struct {
	name    string
	failMsg string
	failing atomic.Bool
}

// NewHook returns a check named "poststarthook/<name>" that fails until Done is called.
func NewHook(name string) *Flag {
	f := &Flag{name: "poststarthook/" + name, failMsg: "not finished"}
	f.failing.Store(true)
	return f
}

// NewShutdown returns the readyz "shutdown" check, which passes until Set is called, as kube's:
// once the server is shutting down, load balancers should stop sending it requests.
func NewShutdown() *Flag {
	return &Flag{name: "shutdown", failMsg: "process is shutting down"}
}

// Done marks a hook finished.
func (f *Flag) Done() { f.failing.Store(false) }

// Set marks the shutdown as begun.
func (f *Flag) Set() { f.failing.Store(true) }

// Check is the flag as a health check.
func (f *Flag) Check() Check {
	return Check{Name: f.name, Run: func(*http.Request) error {
		if f.failing.Load() {
			return errors.New(f.failMsg)
		}
		return nil
	}}
}

// Endpoint is one of /healthz, /livez or /readyz with its checks.
type Endpoint struct {
	name   string
	checks []Check
}

// NewEndpoint returns the endpoint called name ("healthz", "livez", "readyz") running checks in
// order.
func NewEndpoint(name string, checks ...Check) *Endpoint {
	return &Endpoint{name: name, checks: checks}
}

// ServeHTTP answers the endpoint's root: every check not excluded.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	excluded := map[string]bool{}
	for _, raw := range r.URL.Query()["exclude"] {
		for _, n := range strings.Split(raw, ",") {
			if n = strings.TrimSpace(n); n != "" {
				excluded[n] = true
			}
		}
	}
	var out, failedLog bytes.Buffer
	var failed []string
	for _, c := range e.checks {
		if excluded[c.Name] {
			delete(excluded, c.Name)
			fmt.Fprintf(&out, "[+]%s excluded: ok\n", c.Name)
			continue
		}
		if err := c.Run(r); err != nil && c.Informational {
			fmt.Fprintf(&out, "[-]%s failed: %v\n", c.Name, err)
			continue
		} else if err != nil {
			// The reason stays out of the public answer; the log has it.
			fmt.Fprintf(&out, "[-]%s failed: reason withheld\n", c.Name)
			fmt.Fprintf(&failedLog, "[-]%s failed: %v\n", c.Name, err)
			failed = append(failed, c.Name)
			continue
		}
		fmt.Fprintf(&out, "[+]%s ok\n", c.Name)
	}
	if len(excluded) > 0 {
		names := make([]string, 0, len(excluded))
		for n := range excluded {
			names = append(names, fmt.Sprintf("%q", n))
		}
		sort.Strings(names)
		fmt.Fprintf(&out, "warn: some health checks cannot be excluded: no matches for %s\n", strings.Join(names, ","))
	}
	if len(failed) > 0 {
		slog.Info(e.name+" check failed", "checks", strings.Join(failed, ","), "detail", failedLog.String())
		http.Error(w, fmt.Sprintf("%s%s check failed", out.String(), e.name), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, verbose := r.URL.Query()["verbose"]; !verbose {
		fmt.Fprint(w, "ok")
		return
	}
	_, _ = out.WriteTo(w)
	fmt.Fprintf(w, "%s check passed\n", e.name)
}

// ServeCheck answers /<endpoint>/<check>: "ok", or 500 with the check's error, or 404 for a check
// the endpoint does not have.
func (e *Endpoint) ServeCheck(w http.ResponseWriter, r *http.Request, check string) {
	for _, c := range e.checks {
		if c.Name != check {
			continue
		}
		if err := c.Run(r); err != nil {
			http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "ok")
		return
	}
	http.NotFound(w, r)
}
