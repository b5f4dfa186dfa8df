package controllers

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestRepairsRunAtStartAndEveryInterval: a repair runs when the controllers start and again
// each interval, a failed pass does not stop the next, and stop waits for a pass in flight.
func TestRepairsRunAtStartAndEveryInterval(t *testing.T) {
	reg := newRegistry(t)
	var passes, running atomic.Int64
	opts := testOptions()
	opts.RepairInterval = 10 * time.Millisecond
	opts.Repairs = []func(context.Context) error{func(ctx context.Context) error {
		running.Add(1)
		defer running.Add(-1)
		if passes.Add(1) == 1 {
			return errors.New("the first pass fails")
		}
		return nil
	}}
	stop := Start(context.Background(), reg, opts)
	eventually(t, "three repair passes", func() (bool, error) { return passes.Load() >= 3, nil })
	stop()
	if n := running.Load(); n != 0 {
		t.Fatalf("%d repair passes still running after stop", n)
	}
	after := passes.Load()
	time.Sleep(50 * time.Millisecond) // five intervals: a pass now would be one the stop left running
	if n := passes.Load(); n != after {
		t.Errorf("%d repair passes after stop", n-after)
	}
}
