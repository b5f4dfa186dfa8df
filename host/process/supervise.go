package process

import (
	"context"
	"fmt"
	"time"

	"github.com/kapi-dev/kapi/host/pluginapi"
)

// Supervision: one live process at a time. A call (or the health loop) that finds the process dead
// takes it out of service and starts one restart goroutine; the call that found it fails by the
// failure policy (SPEC.md section 5). Calls that arrive while the restart runs wait for it within
// their deadline, unless the last attempt failed, in which case they fail at once with its error
// rather than each waiting out its deadline; so do calls whose deadline comes before the backoff
// ends.

// acquire returns the live process, waiting for a restart in progress.
func (p *Plugin) acquire(ctx context.Context) (*proc, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, p.callError(pluginapi.ReasonError, errClosed)
		}
		if pr := p.proc; pr != nil {
			if !pr.client.Exited() {
				p.mu.Unlock()
				return pr, nil
			}
			p.markDeadLocked(pr, "exited between calls")
			p.mu.Unlock()
			return nil, p.callError(pluginapi.ReasonTrap, fmt.Errorf("plugin process (pid %d) had exited; restarting it", pr.pid))
		}
		ready, startErr, next := p.ready, p.startErr, p.nextStart
		p.mu.Unlock()
		if startErr != nil {
			return nil, p.callError(pluginapi.ReasonTrap, fmt.Errorf("plugin process is down and restarting it failed: %w", startErr))
		}
		if deadline, ok := ctx.Deadline(); ok && next.After(deadline) {
			// Backing off longer than this call may wait: fail now, not at the deadline.
			return nil, p.callError(pluginapi.ReasonTrap, fmt.Errorf("plugin process is down; restarting it in %s",
				time.Until(next).Round(time.Millisecond)))
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, p.callError(pluginapi.ReasonTimeout, fmt.Errorf("plugin process is restarting: %w", ctx.Err()))
		case <-p.stop:
			return nil, p.callError(pluginapi.ReasonError, errClosed)
		}
	}
}

func (p *Plugin) callError(reason pluginapi.FailureReason, err error) error {
	return &pluginapi.CallError{Plugin: p.manifest.Name, Reason: reason, Err: err}
}

// served records that the live process answered a call: the next restart waits only MinBackoff.
func (p *Plugin) served() {
	p.mu.Lock()
	p.backoff = p.opts.MinBackoff
	p.mu.Unlock()
}

func (p *Plugin) markDead(pr *proc, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.markDeadLocked(pr, why)
}

// markDeadLocked takes pr out of service and starts its restart, once however many calls find it
// dead. p.mu is held.
func (p *Plugin) markDeadLocked(pr *proc, why string) {
	if p.proc != pr || p.closed {
		return
	}
	p.proc = nil
	p.up.Store(false)
	p.ready = make(chan struct{})
	p.startErr = nil
	p.logger.Warn("plugin process is down; restarting it", "pid", pr.pid, "reason", why, "backoff", p.backoff)
	p.loops.Add(1)
	go p.restart(pr)
}

// restart kills the dead process and starts a new one after the backoff, doubling the backoff
// for each attempt that fails, until one succeeds or the plugin is closed.
func (p *Plugin) restart(old *proc) {
	defer p.loops.Done()
	old.kill()
	for {
		p.mu.Lock()
		delay := p.backoff
		p.backoff = min(2*delay, p.opts.MaxBackoff)
		p.nextStart = time.Now().Add(delay)
		p.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-p.stop:
			t.Stop()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.opts.StartTimeout)
		pr, err := p.start(ctx)
		cancel()
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			if pr != nil {
				pr.kill()
			}
			return
		}
		if err != nil {
			// Wake the calls waiting for this attempt: they fail at once with its error.
			p.startErr = err
			close(p.ready)
			p.ready = make(chan struct{})
			p.mu.Unlock()
			p.logger.Error("restarting plugin process failed", "error", err)
			continue
		}
		p.proc, p.startErr = pr, nil
		p.up.Store(true)
		close(p.ready)
		p.mu.Unlock()
		p.logger.Info("plugin process restarted", "pid", pr.pid)
		return
	}
}

// healthTimeout bounds one health check. It is not tied to the interval: a loaded machine may take
// longer than a short interval to answer, and only a process that cannot answer at all is wedged.
const healthTimeout = 5 * time.Second

// healthLoop checks the live process every HealthInterval, so that a process killed from outside
// or wedged is replaced even when no call comes.
func (p *Plugin) healthLoop() {
	defer p.loops.Done()
	t := time.NewTicker(p.opts.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		pr := p.proc
		p.mu.Unlock()
		if pr == nil {
			continue // a restart is under way
		}
		if err := pr.ping(healthTimeout); err != nil {
			p.markDead(pr, "health check failed: "+err.Error())
		}
	}
}

// Close stops supervision, then closes the live process in order (the plugin's Close, go-plugin's
// shutdown); a process that does not exit within two seconds is killed. Calls in flight fail.
func (p *Plugin) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		pr := p.proc
		p.proc = nil
		p.mu.Unlock()
		close(p.stop)
		p.loops.Wait()
		if pr != nil {
			pr.close(p.manifest.Timeout())
		}
		p.spawner.stop()
		p.ups.remove(p)
		p.logger.Info("plugin process stopped")
	})
	return nil
}
