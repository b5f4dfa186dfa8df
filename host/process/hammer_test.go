package process_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
)

// TestHammerCallsThroughCrashes releases many goroutines at once on one plugin, some of whose
// calls crash the process: supervision state is shared by all of them (run with -race). Every
// call must end, either answered or failed as a trap naming the plugin; the plugin must serve
// again afterwards, and nothing may be left behind.
func TestHammerCallsThroughCrashes(t *testing.T) {
	goroutinesBefore := runtime.NumGoroutine()
	m := manifest(t, "hammered", abi.KindAuthorizer)
	p, err := process.Load(context.Background(), m, testPlugin, nil, process.Options{
		MinBackoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond, HealthInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const workers, calls = 16, 20
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, failed := 0, 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range calls {
				user := "alice"
				if (w+i)%10 == 0 {
					user = "crash"
				}
				st, err := p.Authorize(context.Background(), review(user))
				var ce *pluginapi.CallError
				switch {
				case err == nil && st.Allowed:
					mu.Lock()
					answered++
					mu.Unlock()
				case errors.As(err, &ce) && ce.Plugin == "hammered" && ce.Reason == pluginapi.ReasonTrap:
					mu.Lock()
					failed++
					mu.Unlock()
				default:
					t.Errorf("call as %s: %+v, %v", user, st, err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	// How many are answered depends on who wins the race after each restart (a crash that comes
	// first keeps the process down); that some crashed is certain.
	if failed == 0 {
		t.Errorf("%d calls answered and none failed, though some crash the process", answered)
	}
	t.Logf("%d calls answered, %d failed", answered, failed)
	// Crashes that come first after every restart keep the process down and back off (to 50ms
	// here); once the calls stop, it comes back and serves.
	var st abi.SubjectAccessReviewStatus
	waitFor(func() bool {
		st, err = p.Authorize(context.Background(), review("alice"))
		return err == nil
	})
	if !st.Allowed {
		t.Errorf("call after the hammer: %+v", st)
	}
	p.Close()
	checkNoLeaks(t, goroutinesBefore)
}
