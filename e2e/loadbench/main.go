// Command loadbench is kapi's end-to-end load benchmark (`make bench`). It starts an etcd of its
// own (embedded, in this process) and the real apiserver binary against it, then runs the same
// operations through the apiserver with client-go and straight against etcd with the same
// concurrency, so that etcd's own speed is the yardstick: GET of one object, CREATE of small
// configmaps, UPDATE, LIST of 1,000 objects from the watch cache and from etcd, a watch fan-out
// to 1,000 watchers, and the server's resident memory with 10,000 configmaps and 100 watchers.
//
// It prints a Markdown report; docs/benchmarks.md keeps the figures of a run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/kapi-dev/kapi/e2e"
	"github.com/kapi-dev/kapi/storage/embedded"
)

func main() {
	var (
		concurrency = flag.Int("concurrency", 16, "concurrent clients for create, update and get")
		ops         = flag.Int("ops", 3000, "operations per throughput phase")
		watchers    = flag.Int("watchers", 1000, "watchers for the fan-out phase")
		fanouts     = flag.Int("fanout-writes", 50, "writes timed in the fan-out phase")
		rssObjects  = flag.Int("rss-objects", 10000, "configmaps stored for the memory phase")
		binary      = flag.String("binary", "", "apiserver binary (built from ./cmd/apiserver when empty)")
		profile     = flag.String("cpuprofile", "", "write the server's CPU profile of the create phase here")
	)
	flag.Parse()
	if err := run(*binary, *profile, params{
		concurrency: *concurrency, ops: *ops, watchers: *watchers, fanoutWrites: *fanouts, rssObjects: *rssObjects,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

type params struct {
	concurrency, ops, watchers, fanoutWrites, rssObjects int
}

func run(binary, profile string, p params) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kapi-loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if binary == "" {
		if binary, err = e2e.BuildBinary(dir); err != nil {
			return err
		}
	}
	etcd, err := embedded.Start(ctx, embedded.Config{Dir: filepath.Join(dir, "etcd")})
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	defer etcd.Close()
	srv, err := e2e.StartServer(ctx, e2e.ServerOptions{
		Binary:  binary,
		DataDir: filepath.Join(dir, "kapi"),
		Args:    []string{"--etcd-servers=" + etcd.Endpoints()[0], "--max-requests-inflight=2000", "--max-mutating-requests-inflight=1000"},
	})
	if err != nil {
		return err
	}
	defer srv.Stop()

	b, err := newBench(ctx, srv, etcd.Endpoints(), p)
	if err != nil {
		return err
	}
	defer b.close()
	rep := &report{params: p, goVersion: goVersion()}
	for _, phase := range []func(context.Context, *report) error{
		b.createPhase(profile), b.updatePhase, b.getPhase, b.listPhase, b.fanoutPhase, b.memoryPhase,
	} {
		if err := phase(ctx, rep); err != nil {
			return err
		}
	}
	rep.print(os.Stdout)
	return nil
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return "unknown"
	}
	return string(out[:len(out)-1])
}
