package process_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
)

// bystander calls another plugin in a loop until stopped and counts the calls that failed: a
// misbehaving plugin must never fail another plugin's calls.
type bystander struct {
	stop            chan struct{}
	done            sync.WaitGroup
	mu              sync.Mutex
	calls, failures int
	lastErr         error
}

func startBystander(a abi.Authorizer) *bystander {
	b := &bystander{stop: make(chan struct{})}
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		for {
			select {
			case <-b.stop:
				return
			default:
			}
			st, err := a.Authorize(context.Background(), review("alice"))
			b.mu.Lock()
			b.calls++
			if err != nil || !st.Allowed {
				b.failures++
				b.lastErr = err
			}
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *bystander) finish(t *testing.T) {
	close(b.stop)
	b.done.Wait()
	if b.calls == 0 || b.failures > 0 {
		t.Errorf("bystander plugin: %d of %d calls failed (last: %v)", b.failures, b.calls, b.lastErr)
	}
}

// pidOf asks the plugin process for its pid.
func pidOf(t *testing.T, a abi.Authorizer) int {
	t.Helper()
	st, err := a.Authorize(context.Background(), review("pid"))
	if err != nil {
		t.Fatalf("asking the plugin for its pid: %v", err)
	}
	pid, err := strconv.Atoi(st.Reason)
	if err != nil {
		t.Fatalf("pid answer %q", st.Reason)
	}
	return pid
}

func TestMisbehavingPluginFailsOnlyItsOwnCall(t *testing.T) {
	type misbehaviour struct {
		name string
		// act makes the plugin misbehave: it returns the error of the call that does so
		// (for a kill from outside, of the first call after it).
		act func(t *testing.T, victim abi.Authorizer, p *process.Plugin) error
		// wantReason and wantMessage describe that error.
		wantReason  pluginapi.FailureReason
		wantMessage string
		// restarts says the process is replaced.
		restarts bool
		// timeout is the manifest's per-call deadline, when not the default of these tests (10s,
		// so that a restart under a loaded machine or the race detector fits in a call).
		timeout time.Duration
	}
	call := func(user string) func(*testing.T, abi.Authorizer, *process.Plugin) error {
		return func(_ *testing.T, victim abi.Authorizer, _ *process.Plugin) error {
			_, err := victim.Authorize(context.Background(), review(user))
			return err
		}
	}
	tests := []misbehaviour{
		{name: "crash mid-call", act: call("crash"), wantReason: pluginapi.ReasonTrap,
			wantMessage: "died during the call", restarts: true},
		{name: "hang past the deadline", act: call("hang"), wantReason: pluginapi.ReasonTimeout,
			wantMessage: "no answer within 300ms", timeout: 300 * time.Millisecond},
		{name: "panic", act: call("panic"), wantReason: pluginapi.ReasonTrap,
			wantMessage: "plugin panicked: testplugin was asked to panic"},
		{name: "plugin error", act: call("fail"), wantReason: pluginapi.ReasonError,
			wantMessage: "testplugin was asked to fail"},
		{name: "killed from outside between calls", act: func(t *testing.T, victim abi.Authorizer, p *process.Plugin) error {
			pid := p.PID()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitFor(func() bool { return !alive(pid) })
			_, err := victim.Authorize(context.Background(), review("alice"))
			return err
		}, wantReason: pluginapi.ReasonTrap, wantMessage: "restarting it", restarts: true},
	}
	goroutinesBefore := runtime.NumGoroutine()
	// The bystander is another plugin process, called in a loop throughout.
	bm := manifest(t, "bystander", abi.KindAuthorizer)
	bp, err := process.Load(context.Background(), bm, testPlugin, nil, process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	by := startBystander(guarded(t, bm, bp))

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := manifest(t, "victim", abi.KindAuthorizer, func(m *pluginapi.Manifest) {
				if tc.timeout != 0 {
					m.Limits.Timeout = pluginapi.Duration(tc.timeout)
				}
			})
			// The health loop is out of the way: the calls alone must notice the death.
			p, err := process.Load(context.Background(), m, testPlugin, nil, process.Options{HealthInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			victim := guarded(t, m, p)
			pidBefore := pidOf(t, victim)

			err = tc.act(t, victim, p)
			var failed *pluginapi.FailedCallError
			if !errors.As(err, &failed) {
				t.Fatalf("misbehaving call: error %v, want a FailedCallError", err)
			}
			if failed.Plugin != "victim" || failed.Reason != tc.wantReason ||
				!strings.Contains(err.Error(), `plugin "victim" failed: `) || !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("misbehaving call: %q (reason %s), want reason %s naming the plugin and saying %q",
					err, failed.Reason, tc.wantReason, tc.wantMessage)
			}

			// The next call succeeds, waiting for a restart if there is one.
			pidAfter := pidOf(t, victim)
			if restarted := pidAfter != pidBefore; restarted != tc.restarts {
				t.Errorf("process restarted: %v (pid %d -> %d), want %v", restarted, pidBefore, pidAfter, tc.restarts)
			}
			if tc.restarts && alive(pidBefore) {
				t.Errorf("the dead process %d is still running", pidBefore)
			}
		})
	}

	t.Run("garbage on stdout after the handshake", func(t *testing.T) {
		m := manifest(t, "noisy", abi.KindAuthorizer)
		p, err := process.Load(context.Background(), m, testPlugin, nil, process.Options{HealthInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		noisy := guarded(t, m, p)
		pidBefore := pidOf(t, noisy)
		// Writes to os.Stdout, os.Stderr and the raw file descriptor 1, then answers.
		for range 3 {
			if st, err := noisy.Authorize(context.Background(), review("garbage")); err != nil || !st.Allowed {
				t.Fatalf("call that writes garbage: %+v, %v", st, err)
			}
		}
		if pidAfter := pidOf(t, noisy); pidAfter != pidBefore {
			t.Errorf("the process was restarted (pid %d -> %d)", pidBefore, pidAfter)
		}
	})

	t.Run("failure policy Ignore gives no opinion", func(t *testing.T) {
		m := manifest(t, "ignored", abi.KindAuthorizer, func(m *pluginapi.Manifest) { m.FailurePolicy = pluginapi.Ignore })
		p, err := process.Load(context.Background(), m, testPlugin, nil, process.Options{HealthInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		st, err := guarded(t, m, p).Authorize(context.Background(), review("crash"))
		if err != nil || st != (abi.SubjectAccessReviewStatus{}) {
			t.Errorf("crash under Ignore: %+v, %v; want no opinion and no error", st, err)
		}
	})

	by.finish(t)
	bp.Close()
	checkNoLeaks(t, goroutinesBefore)
}

func TestHealthLoopRestartsAKilledProcess(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := manifest(t, "watched", abi.KindAuthorizer)
	p := load(t, m, nil, process.Options{HealthInterval: 20 * time.Millisecond, Registerer: reg})
	up := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == process.UpMetric {
				for _, mm := range mf.GetMetric() {
					if mm.GetLabel()[0].GetValue() == "watched" {
						return mm.GetGauge().GetValue()
					}
				}
			}
		}
		return -1
	}
	if got := up(); got != 1 {
		t.Fatalf("%s = %v after Load, want 1", process.UpMetric, got)
	}
	old := p.PID()
	// A healthy process passes its checks: ten of them leave it alone.
	time.Sleep(10 * 20 * time.Millisecond)
	if pid := p.PID(); pid != old {
		t.Fatalf("the health loop replaced a healthy process (pid %d -> %d)", old, pid)
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// No call is made: the health loop alone notices and restarts.
	waitFor(func() bool { pid := p.PID(); return pid != 0 && pid != old })
	if got := up(); got != 1 {
		t.Errorf("%s = %v after the restart, want 1", process.UpMetric, got)
	}
	if st, err := guarded(t, m, p).Authorize(context.Background(), review("alice")); err != nil || !st.Allowed {
		t.Errorf("call after the restart: %+v, %v", st, err)
	}
	// The failure-policy wrapper counted the call under mode "process".
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := false
	for _, mf := range mfs {
		if mf.GetName() != "kapi_plugin_calls_total" {
			continue
		}
		for _, mm := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mm.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["plugin"] == "watched" && labels["mode"] == "process" && labels["kind"] == "Authorizer" && mm.GetCounter().GetValue() == 1 {
				counted = true
			}
		}
	}
	if !counted {
		t.Errorf(`kapi_plugin_calls_total{plugin="watched",kind="Authorizer",mode="process"} is not 1`)
	}
	p.Close()
	if got := up(); got != -1 {
		t.Errorf("%s{plugin=watched} = %v after Close, want it gone", process.UpMetric, got)
	}
}

func TestRestartBackoffWhenTheExecutableIsGone(t *testing.T) {
	// A plugin whose executable disappears cannot be restarted: calls fail at once with the
	// start's error instead of waiting out their deadlines, and the plugin still closes cleanly.
	dir := t.TempDir()
	exe := dir + "/plugin"
	if err := copyFile(testPlugin, exe); err != nil {
		t.Fatal(err)
	}
	m := manifest(t, "vanishing", abi.KindAuthorizer)
	p, err := process.Load(context.Background(), m, exe, nil, process.Options{HealthInterval: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := removeFile(exe); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Authorize(context.Background(), review("crash")); err == nil {
		t.Fatal("the crashing call succeeded")
	}
	// The call waits for the restart attempt, which fails: the call fails with the attempt's
	// error, not at its deadline.
	_, err2 := p.Authorize(context.Background(), review("alice"))
	if err2 == nil || !strings.Contains(err2.Error(), "restarting it failed") {
		t.Fatalf("call while the executable is gone: %v", err2)
	}
	if !strings.Contains(err2.Error(), fmt.Sprintf(`plugin %q`, "vanishing")) || !strings.Contains(err2.Error(), "no such file") {
		t.Errorf("call while the executable is gone: %v", err2)
	}
}
