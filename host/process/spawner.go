package process

import "runtime"

// spawner starts a plugin's processes, the first and every restart, from one OS thread that
// outlives them. Pdeathsig belongs to the thread that forked the child, not to the process: when
// that thread ends, the kernel kills the child as if the server had died. Go ends a thread when a
// goroutine locked to it returns, which any library may do, so a start made from an arbitrary
// goroutine could lose its plugin for no reason. The spawner's goroutine locks its thread and
// returns (ending the thread) only when the plugin is closed and its process is gone.
type spawner struct {
	work chan func()
}

func newSpawner() *spawner {
	s := &spawner{work: make(chan func())}
	go s.run()
	return s
}

func (s *spawner) run() {
	// Never unlocked: the thread ends with this goroutine, after stop.
	runtime.LockOSThread()
	for f := range s.work {
		f()
	}
}

// do runs f on the spawner's thread and waits for it.
func (s *spawner) do(f func()) {
	done := make(chan struct{})
	s.work <- func() {
		defer close(done)
		f()
	}
	<-done
}

// stop ends the spawner's goroutine and thread; no do may follow or run concurrently.
func (s *spawner) stop() { close(s.work) }
