package wasm

import (
	"sync"
	"time"
)

// watchInterval is how often the watchdog looks at the calls in progress: a call is stopped at
// most this long after its deadline, or after its caller's context ends.
const watchInterval = 10 * time.Millisecond

// watchdog stops the instances whose call is past its deadline or whose caller has gone (see
// instance.check). One goroutine per Runtime looks at every instance each watchInterval: a call
// then only notes its deadline and context under its instance's lock, where a timer reset and a
// context.AfterFunc per call cost the server more than a call's whole ABI work (their locks and
// the runtime's timer heap are shared by every request). The price is precision: a stop lands up
// to watchInterval late, against deadlines of a second by default.
type watchdog struct {
	instances sync.Map // *instance -> struct{}
	start     sync.Once
	stop      chan struct{}
	running   sync.WaitGroup
}

func newWatchdog() *watchdog { return &watchdog{stop: make(chan struct{})} }

// add watches in until remove; the first add starts the goroutine.
func (w *watchdog) add(in *instance) {
	w.start.Do(func() {
		w.running.Add(1)
		go w.run()
	})
	w.instances.Store(in, struct{}{})
}

func (w *watchdog) remove(in *instance) { w.instances.Delete(in) }

func (w *watchdog) run() {
	defer w.running.Done()
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.instances.Range(func(in, _ any) bool {
				in.(*instance).check(now)
				return true
			})
		}
	}
}

// close stops the goroutine and waits for it.
func (w *watchdog) close() {
	close(w.stop)
	w.running.Wait()
}
