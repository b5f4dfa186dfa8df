package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// fanoutPhase opens many watchers and times, for each write, the span from the write's return to
// the moment the last watcher has decoded its event (client-go's decoding of every watcher's copy
// is in the span, and on this machine it shares the CPUs with the server). The watchers are
// spread evenly over -watch-connections client-go clients, apart from the writer's. client-go
// shares one transport, so one HTTP/2 connection, among all clients of the same configuration (its
// TLS transport cache), and one connection carries up to the server's 1,000 streams; a client
// with a dialer of its own gets a connection of its own. One connection is the hard case for the
// server (one goroutine writes every frame) and what one process's informers get; many are what
// many separate clients get.
func (b *bench) fanoutPhase(ctx context.Context, r *report) error {
	n, conns := b.p.watchers, b.p.watchConnections
	if conns < 1 || conns > n {
		return fmt.Errorf("-watch-connections %d: want 1 to -watchers (%d)", conns, n)
	}
	clients := make([]*kubernetes.Clientset, conns)
	for i := range clients {
		cfg := rest.CopyConfig(b.config)
		cfg.Dial = (&net.Dialer{}).DialContext // a dialer of its own: a transport of its own
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	arr := newArrivals(b.p.fanoutWrites, n)
	var ready sync.WaitGroup
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for i := 0; i < n; i++ {
		w, err := clients[i*conns/n].CoreV1().ConfigMaps("bench-fanout").Watch(wctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return fmt.Errorf("opening watcher %d: %w", i, err)
		}
		ready.Add(1)
		go func() {
			defer w.Stop()
			ready.Done()
			next := 0
			for ev := range w.ResultChan() {
				// Only the timed writes count: the namespace's kube-root-ca.crt, made by the
				// server as kube-controller-manager would, arrives as an ADDED event too.
				cm, ok := ev.Object.(*corev1.ConfigMap)
				if !ok || ev.Type != watch.Added || !strings.HasPrefix(cm.Name, "f-") {
					continue
				}
				if !arr.arrived(next, cm.Name == "f-"+strconv.Itoa(next)) {
					return
				}
				next++
			}
		}()
	}
	ready.Wait()
	start := time.Now()
	r.mark()
	lat, err := arr.timeWrites(func(k int) error {
		_, err := b.kube.CoreV1().ConfigMaps("bench-fanout").Create(ctx, smallConfigMap("f-"+strconv.Itoa(k)), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	r.add(fmt.Sprintf("watch fan-out to %d watchers", n), fmt.Sprintf("kapi, %d HTTP/2 connection(s)", conns), len(lat), time.Since(start), lat)

	// The same against etcd: as many etcd watchers on one client (one gRPC connection, whose
	// watches share one stream), one put at a time.
	etcdArr := newArrivals(b.p.fanoutWrites, n)
	for range n {
		ch := b.etcd.Watch(wctx, "/rawbench/fanout/", clientv3.WithPrefix())
		go func() {
			next := 0
			for resp := range ch {
				for _, ev := range resp.Events {
					if !etcdArr.arrived(next, string(ev.Kv.Key) == "/rawbench/fanout/f-"+strconv.Itoa(next)) {
						return
					}
					next++
				}
			}
		}()
	}
	time.Sleep(time.Second) // etcd watches have no ready signal; give them time to register
	start = time.Now()
	r.mark()
	lat, err = etcdArr.timeWrites(func(k int) error {
		_, err := b.etcd.Put(ctx, "/rawbench/fanout/f-"+strconv.Itoa(k), rawValue("f"))
		return err
	})
	if err != nil {
		return err
	}
	r.add(fmt.Sprintf("watch fan-out to %d watchers", n), "etcd watch", len(lat), time.Since(start), lat)
	return nil
}

// arrivals times a fan-out's writes. Each watcher stamps its arrival at each write itself, in
// its own goroutine as soon as its client has decoded the event, so that a write's span ends at
// the last watcher's decode and not when one goroutine has got round to a thousand channels.
type arrivals struct {
	writes []*fanoutWrite
	failed chan error
}

// fanoutWrite is one timed write: how many watchers still wait for its event, when the latest
// one got it, and done, closed when the last one has.
type fanoutWrite struct {
	pending atomic.Int32
	last    atomic.Int64 // UnixNano
	done    chan struct{}
}

func newArrivals(writes, watchers int) *arrivals {
	a := &arrivals{writes: make([]*fanoutWrite, writes), failed: make(chan error, 1)}
	for k := range a.writes {
		a.writes[k] = &fanoutWrite{done: make(chan struct{})}
		a.writes[k].pending.Store(int32(watchers))
	}
	return a
}

// arrived records a watcher's arrival at write k, now; inOrder is whether the event is write k's.
// It reports false (and fails the run) when the watcher should stop: an event out of order.
func (a *arrivals) arrived(k int, inOrder bool) bool {
	if !inOrder || k >= len(a.writes) {
		select {
		case a.failed <- fmt.Errorf("a watcher saw an event other than that of write %d", k):
		default:
		}
		return false
	}
	w := a.writes[k]
	for t := time.Now().UnixNano(); ; {
		old := w.last.Load()
		if t <= old || w.last.CompareAndSwap(old, t) {
			break
		}
	}
	if w.pending.Add(-1) == 0 {
		close(w.done)
	}
	return true
}

// timeWrites makes the writes one at a time and returns, for each, the span from write's return to the
// last watcher's arrival (zero when every watcher had the event before write returned).
func (a *arrivals) timeWrites(write func(k int) error) ([]time.Duration, error) {
	lat := make([]time.Duration, len(a.writes))
	for k, w := range a.writes {
		if err := write(k); err != nil {
			return nil, err
		}
		returned := time.Now()
		timeout := time.NewTimer(30 * time.Second)
		select {
		case <-w.done:
			timeout.Stop()
		case err := <-a.failed:
			return nil, err
		case <-timeout.C:
			return nil, fmt.Errorf("%d watchers never saw write %d", w.pending.Load(), k)
		}
		lat[k] = max(0, time.Unix(0, w.last.Load()).Sub(returned))
	}
	return lat, nil
}
