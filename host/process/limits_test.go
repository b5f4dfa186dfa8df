package process_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
)

// At most limits.instances calls reach the process at once; the others wait their turn and
// are served.
func TestInstancesBoundConcurrentCalls(t *testing.T) {
	m := manifest(t, "narrow", abi.KindAuthorizer, func(m *pluginapi.Manifest) { m.Limits.Instances = 2 })
	a := guarded(t, m, load(t, m, nil, process.Options{}))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Authorize(context.Background(), review("overlap")); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call waiting for a free instance failed: %v", err)
	}
	st, err := a.Authorize(context.Background(), review("overlap"))
	if err != nil {
		t.Fatal(err)
	}
	if most, _ := strconv.Atoi(st.Reason); most < 1 || most > 2 {
		t.Errorf("the process saw %s calls at once, want at most limits.instances (2)", st.Reason)
	}
}

// A call that finds every instance busy until its deadline fails as a timeout, by the failure
// policy, without reaching the process; the instance's release lets the next call through.
func TestNoFreeInstanceFailsAtTheDeadline(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := manifest(t, "single", abi.KindAuthorizer, func(m *pluginapi.Manifest) { m.Limits.Instances = 1 })
	p := load(t, m, nil, process.Options{Registerer: reg})
	a := guarded(t, m, p)
	hangCtx, stopHang := context.WithCancel(context.Background())
	hung := make(chan error, 1)
	go func() {
		_, err := a.Authorize(hangCtx, review("hang"))
		hung <- err
	}()
	// The hanging call holds the only instance once kapi_plugin_instances_busy says so.
	waitFor(func() bool { return gauge(t, reg, "kapi_plugin_instances_busy", "single") == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := a.Authorize(ctx, review("alice"))
	cancel()
	var failed *pluginapi.FailedCallError
	if !errors.As(err, &failed) || failed.Reason != pluginapi.ReasonTimeout || !strings.Contains(err.Error(), "no free instance") {
		t.Fatalf("call while the only instance is busy: %v, want a timeout saying no instance was free", err)
	}
	stopHang()
	if err := <-hung; err == nil {
		t.Fatal("the abandoned hanging call succeeded")
	}
	if st, err := a.Authorize(context.Background(), review("alice")); err != nil || !st.Allowed {
		t.Fatalf("call once the instance is free: %+v, %v", st, err)
	}
}

// A process that allocates past limits.memoryMiB dies (the kernel refuses the mapping, and the Go
// runtime gives up); its call fails by the failure policy, the supervisor restarts it, and
// another plugin's calls go on throughout. GOMEMLIMIT carries the limit to the runtime too.
func TestMemoryLimitKillsAnAllocatingProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("limits.memoryMiB is enforced by the kernel on Linux only")
	}
	bm := manifest(t, "bystander", abi.KindAuthorizer)
	by := startBystander(guarded(t, bm, load(t, bm, nil, process.Options{})))
	for _, policy := range []pluginapi.FailurePolicy{pluginapi.Fail, pluginapi.Ignore} {
		t.Run(string(policy), func(t *testing.T) {
			m := manifest(t, "greedy", abi.KindAuthorizer, func(m *pluginapi.Manifest) {
				m.Limits.MemoryMiB = 32
				m.FailurePolicy = policy
			})
			a := guarded(t, m, load(t, m, nil, process.Options{HealthInterval: time.Hour}))
			st, err := a.Authorize(context.Background(), review("environ"))
			if err != nil || !strings.Contains(st.Reason, "GOMEMLIMIT=32MiB") {
				t.Errorf("the process's environment: %q, %v; want GOMEMLIMIT=32MiB", st.Reason, err)
			}
			before := pidOf(t, a)
			st, err = a.Authorize(context.Background(), review("alloc"))
			switch policy {
			case pluginapi.Fail:
				var failed *pluginapi.FailedCallError
				if !errors.As(err, &failed) || failed.Reason != pluginapi.ReasonTrap || !strings.Contains(err.Error(), "died during the call") {
					t.Fatalf("allocating 1 GiB under a 32 MiB limit: %+v, %v; want the call failed by the process's death", st, err)
				}
			case pluginapi.Ignore:
				if err != nil || st != (abi.SubjectAccessReviewStatus{}) {
					t.Fatalf("allocating 1 GiB under a 32 MiB limit, Ignore: %+v, %v; want no opinion", st, err)
				}
			}
			if after := pidOf(t, a); after == before {
				t.Errorf("the process was not restarted (pid %d)", before)
			}
		})
	}
	by.finish(t)
}

// gauge reads a gauge's value for a plugin from reg (-1 when absent).
func gauge(t *testing.T, reg *prometheus.Registry, name, plugin string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == plugin {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
