package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/e2e"
)

// bench holds the clients of one run: client-go against the apiserver, clientv3 against etcd.
type bench struct {
	p      params
	srv    *e2e.Server
	config *rest.Config
	kube   *kubernetes.Clientset
	etcd   *clientv3.Client
	// created remembers what the create phase made, for the update phase.
	created []*corev1.ConfigMap
	rawRevs []int64
	// heapProfile, when set, is where the memory phase saves the server's heap profile.
	heapProfile string
	// rep is the run's report, whose CPU accounting parallel starts.
	rep *report
}

func newBench(ctx context.Context, srv *e2e.Server, endpoints []string, p params) (*bench, error) {
	cfg := rest.CopyConfig(srv.Config)
	cfg.QPS = -1 // no client-side rate limit: the server is what is measured
	// client-go's typed clients default to protobuf when ContentType is unset; JSON is named
	// explicitly so that the two modes differ.
	cfg.ContentType, cfg.AcceptContentTypes = "application/json", "application/json"
	if p.protobuf {
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	for _, ns := range []string{"bench", "bench-list", "bench-fanout", "bench-rss"} {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil {
			return nil, fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	return &bench{p: p, srv: srv, config: cfg, kube: kube, etcd: etcd}, nil
}

func (b *bench) close() { b.etcd.Close() }

func smallConfigMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Data:       map[string]string{"key": "value-" + name},
	}
}

// rawValue is what the raw-etcd side stores: the same JSON a configmap of that name encodes to.
func rawValue(name string) string {
	b, _ := json.Marshal(smallConfigMap(name))
	return string(b)
}

// parallel runs n operations over the bench's concurrency and returns the wall time and each
// operation's latency.
func (b *bench) parallel(n int, op func(i int) error) (time.Duration, []time.Duration, error) {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	if b.rep != nil {
		b.rep.mark()
	}
	start := time.Now()
	for w := 0; w < b.p.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return time.Since(start), lat, firstErr
}

func (b *bench) createPhase(ctx context.Context, r *report) error {
	n := b.p.ops
	b.created = make([]*corev1.ConfigMap, n)
	wall, lat, err := b.parallel(n, func(i int) error {
		cm, err := b.kube.CoreV1().ConfigMaps("bench").Create(ctx, smallConfigMap("c-"+strconv.Itoa(i)), metav1.CreateOptions{})
		b.created[i] = cm
		return err
	})
	if err != nil {
		return fmt.Errorf("create through kapi: %w", err)
	}
	r.add("CREATE small configmap", "kapi", n, wall, lat)
	b.rawRevs = make([]int64, n)
	wall, lat, err = b.parallel(n, func(i int) error {
		key := "/rawbench/configmaps/bench/c-" + strconv.Itoa(i)
		resp, err := b.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, rawValue("c-"+strconv.Itoa(i)))).Commit()
		if err == nil {
			b.rawRevs[i] = resp.Header.Revision
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create in etcd: %w", err)
	}
	r.add("CREATE small configmap", "etcd txn", n, wall, lat)
	return nil
}

func (b *bench) updatePhase(ctx context.Context, r *report) error {
	n := len(b.created)
	wall, lat, err := b.parallel(n, func(i int) error {
		cm := b.created[i].DeepCopy()
		cm.Data["key"] = "updated"
		_, err := b.kube.CoreV1().ConfigMaps("bench").Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update through kapi: %w", err)
	}
	r.add("UPDATE configmap", "kapi", n, wall, lat)
	wall, lat, err = b.parallel(n, func(i int) error {
		key := "/rawbench/configmaps/bench/c-" + strconv.Itoa(i)
		resp, err := b.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", b.rawRevs[i])).
			Then(clientv3.OpPut(key, rawValue("u-"+strconv.Itoa(i)))).Commit()
		if err == nil && !resp.Succeeded {
			return fmt.Errorf("raw CAS on %s lost", key)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update in etcd: %w", err)
	}
	r.add("UPDATE configmap", "etcd txn", n, wall, lat)
	return nil
}

func (b *bench) getPhase(ctx context.Context, r *report) error {
	n := b.p.ops
	wall, lat, err := b.parallel(n, func(int) error {
		_, err := b.kube.CoreV1().ConfigMaps("bench").Get(ctx, "c-0", metav1.GetOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("get through kapi: %w", err)
	}
	r.add("GET one configmap", "kapi", n, wall, lat)
	wall, lat, err = b.parallel(n, func(int) error {
		_, err := b.etcd.Get(ctx, "/rawbench/configmaps/bench/c-0")
		return err
	})
	if err != nil {
		return fmt.Errorf("get from etcd: %w", err)
	}
	r.add("GET one configmap", "etcd get", n, wall, lat)
	return nil
}

func (b *bench) listPhase(ctx context.Context, r *report) error {
	const objects, lists = 1000, 200
	_, _, err := b.parallel(objects, func(i int) error {
		_, err := b.kube.CoreV1().ConfigMaps("bench-list").Create(ctx, smallConfigMap("l-"+strconv.Itoa(i)), metav1.CreateOptions{})
		if err != nil {
			return err
		}
		_, err = b.etcd.Put(ctx, "/rawbench/list/l-"+strconv.Itoa(i), rawValue("l-"+strconv.Itoa(i)))
		return err
	})
	if err != nil {
		return fmt.Errorf("filling the list namespace: %w", err)
	}
	for _, mode := range []struct{ name, rv string }{{"kapi, watch cache (resourceVersion=0)", "0"}, {"kapi, etcd (resourceVersion unset)", ""}} {
		lat := make([]time.Duration, lists)
		start := time.Now()
		r.mark()
		for i := range lat {
			t0 := time.Now()
			l, err := b.kube.CoreV1().ConfigMaps("bench-list").List(ctx, metav1.ListOptions{ResourceVersion: mode.rv})
			if err != nil {
				return fmt.Errorf("list %s: %w", mode.name, err)
			}
			if len(l.Items) < objects {
				return fmt.Errorf("list %s returned %d items, want %d", mode.name, len(l.Items), objects)
			}
			lat[i] = time.Since(t0)
		}
		r.add("LIST 1,000 configmaps", mode.name, lists, time.Since(start), lat)
	}
	// client-go's decoding of 1,000 objects is a large share of the latency above; the same
	// lists read as bytes show what the server itself takes.
	httpClient, err := rest.HTTPClientFor(b.config)
	if err != nil {
		return err
	}
	for _, mode := range []struct{ name, query string }{
		{"kapi, watch cache, body read undecoded", "?resourceVersion=0"},
		{"kapi, etcd, body read undecoded", ""},
	} {
		url := b.config.Host + "/api/v1/namespaces/bench-list/configmaps" + mode.query
		lat := make([]time.Duration, lists)
		start := time.Now()
		r.mark()
		for i := range lat {
			t0 := time.Now()
			if err := readAll(ctx, httpClient, url, b.accept()); err != nil {
				return fmt.Errorf("list %s: %w", mode.name, err)
			}
			lat[i] = time.Since(t0)
		}
		r.add("LIST 1,000 configmaps", mode.name, lists, time.Since(start), lat)
	}
	lat := make([]time.Duration, lists)
	start := time.Now()
	r.mark()
	for i := range lat {
		t0 := time.Now()
		if _, err := b.etcd.Get(ctx, "/rawbench/list/", clientv3.WithPrefix()); err != nil {
			return err
		}
		lat[i] = time.Since(t0)
	}
	r.add("LIST 1,000 configmaps", "etcd range", lists, time.Since(start), lat)
	return nil
}

// memoryPhase stores many configmaps, opens 100 watchers, and reads the server's resident memory.
func (b *bench) memoryPhase(ctx context.Context, r *report) error {
	_, _, err := b.parallel(b.p.rssObjects, func(i int) error {
		_, err := b.kube.CoreV1().ConfigMaps("bench-rss").Create(ctx, smallConfigMap("m-"+strconv.Itoa(i)), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("storing %d configmaps: %w", b.p.rssObjects, err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for i := 0; i < 100; i++ {
		w, err := b.kube.CoreV1().ConfigMaps("bench-rss").Watch(wctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return err
		}
		go func() {
			for range w.ResultChan() {
			}
		}()
	}
	time.Sleep(3 * time.Second)
	rss, err := residentMiB(b.srv.PID())
	if err != nil {
		return err
	}
	r.rssMiB = rss
	if b.heapProfile != "" {
		if err := b.fetchPprof(ctx, b.heapProfile, "heap"); err != nil {
			r.notes = append(r.notes, "heap profile not taken: "+err.Error())
		} else {
			r.notes = append(r.notes, "heap profile of the memory phase written to "+b.heapProfile)
		}
	}
	return nil
}

func residentMiB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// readAll GETs url and reads the whole body without decoding it.
// accept is the Accept header of the bench's client-go requests.
func (b *bench) accept() string {
	return b.config.AcceptContentTypes
}

func readAll(ctx context.Context, client *http.Client, url, accept string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %s", url, resp.Status)
	}
	return nil
}

// fetchProfile saves a CPU profile of the server taken over seconds.
func (b *bench) fetchProfile(ctx context.Context, path string, seconds int) error {
	return b.fetchPprof(ctx, path, fmt.Sprintf("profile?seconds=%d", seconds))
}

// fetchPprof saves the server's /debug/pprof/<what> to path.
func (b *bench) fetchPprof(ctx context.Context, path, what string) error {
	client, err := rest.HTTPClientFor(b.config)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.config.Host+"/debug/pprof/"+what, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/debug/pprof/%s answered %s", what, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// percentile returns the p-th percentile (0..100) of the durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := int(float64(len(s)-1) * p / 100)
	return s[idx]
}

// cpuTimes reads the CPU time used so far by the apiserver (from /proc) and by this process.
func (b *bench) cpuTimes() cpuTimes {
	var t cpuTimes
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.srv.PID())); err == nil {
		// Fields after the command name (which may hold spaces) start at the state, field 3;
		// utime and stime are fields 14 and 15, in clock ticks of 1/100 s.
		if i := strings.LastIndexByte(string(data), ')'); i > 0 {
			f := strings.Fields(string(data[i+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				t.server = time.Duration(u+s) * 10 * time.Millisecond
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return t
}
