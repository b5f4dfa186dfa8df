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
	"slices"
	"strings"
	"time"

	"github.com/kapi-dev/kapi/e2e"
	"github.com/kapi-dev/kapi/storage/embedded"
)

func main() {
	var (
		concurrency = flag.Int("concurrency", 16, "concurrent clients for create, update and get")
		ops         = flag.Int("ops", 3000, "operations per throughput phase")
		watchers    = flag.Int("watchers", 1000, "watchers for the fan-out phase")
		fanouts     = flag.Int("fanout-writes", 200, "writes timed in the fan-out phase (the p99 of 200 is the third slowest)")
		watchConns  = flag.Int("watch-connections", 1, "HTTP/2 connections the fan-out phase's watchers are spread over, each a client-go client of its own")
		rssObjects  = flag.Int("rss-objects", 10000, "configmaps stored for the memory phase")
		binary      = flag.String("binary", "", "apiserver binary (built from ./cmd/apiserver when empty)")
		profile     = flag.String("cpuprofile", "", "write the server's CPU profile of the 10 s from the start of -profile-phase here")
		profPhase   = flag.String("profile-phase", "create", "the phase whose start begins the CPU profile: create, update, get, list, fanout or memory")
		heap        = flag.String("heapprofile", "", "write the server's heap profile at the end of the memory phase here")
		phaseList   = flag.String("phases", "create,update,get,list,fanout,memory", "the phases to run, comma-separated (update needs create)")
		plugins     = flag.Int("plugins", 0, "Wasm admission plugins the server runs: 0, 1 (no-latest) or 3 (default-label, no-latest, a second no-latest), built from sdk/examples")
		asThird     = flag.Bool("as", false, "with -plugins=3, the second no-latest is the AssemblyScript guest (sdk/examples/nolatest/as; needs node and npm) instead of a copy of the Go one")
		protobuf    = flag.Bool("protobuf", false, "client-go sends and accepts protobuf (application/vnd.kubernetes.protobuf), as kube's controllers do, instead of JSON only")
	)
	flag.Parse()
	if err := run(*binary, profileOptions{cpu: *profile, cpuPhase: *profPhase, heap: *heap}, params{
		concurrency: *concurrency, ops: *ops, watchers: *watchers, fanoutWrites: *fanouts, watchConnections: *watchConns, rssObjects: *rssObjects,
		phases: strings.Split(*phaseList, ","), plugins: *plugins, asThird: *asThird, protobuf: *protobuf,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// profileOptions says which server profiles to save, and where.
type profileOptions struct {
	cpu, cpuPhase, heap string
}

// phase is one part of the benchmark, named for -phases and -profile-phase.
type phase struct {
	name string
	run  func(context.Context, *report) error
}

type params struct {
	concurrency, ops, watchers, fanoutWrites, watchConnections, rssObjects int
	// phases are the phases to run; plugins is the number of Wasm admission plugins.
	phases  []string
	plugins int
	// asThird makes the third plugin the AssemblyScript no-latest.
	asThird bool
	// protobuf makes client-go speak protobuf rather than JSON.
	protobuf bool
}

func run(binary string, prof profileOptions, p params) error {
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
	pluginFlags, err := pluginArgs(ctx, filepath.Join(dir, "plugins"), p.plugins, p.asThird)
	if err != nil {
		return err
	}
	srv, err := e2e.StartServer(ctx, e2e.ServerOptions{
		Binary:  binary,
		DataDir: filepath.Join(dir, "kapi"),
		Args: append([]string{"--etcd-servers=" + etcd.Endpoints()[0], "--max-requests-inflight=2000", "--max-mutating-requests-inflight=1000"},
			pluginFlags...),
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
	b.heapProfile = prof.heap
	rep := &report{params: p, goVersion: goVersion(), cpu: b.cpuTimes}
	b.rep = rep
	phases := []phase{
		{"create", b.createPhase}, {"update", b.updatePhase}, {"get", b.getPhase},
		{"list", b.listPhase}, {"fanout", b.fanoutPhase}, {"memory", b.memoryPhase},
	}
	for _, name := range p.phases {
		if !slices.ContainsFunc(phases, func(ph phase) bool { return ph.name == name }) {
			return fmt.Errorf("-phases: no phase %q", name)
		}
	}
	profiled := false
	for _, phase := range phases {
		if !slices.Contains(p.phases, phase.name) {
			continue
		}
		var profDone chan error
		if prof.cpu != "" && phase.name == prof.cpuPhase {
			profiled = true
			profDone = make(chan error, 1)
			go func() { profDone <- b.fetchProfile(ctx, prof.cpu, 10) }()
		}
		if err := phase.run(ctx, rep); err != nil {
			return fmt.Errorf("%s phase: %w", phase.name, err)
		}
		if profDone != nil {
			if err := <-profDone; err != nil {
				rep.notes = append(rep.notes, "CPU profile not taken: "+err.Error())
			} else {
				rep.notes = append(rep.notes, fmt.Sprintf("CPU profile of the server over the 10 s from the start of the %s phase written to %s", phase.name, prof.cpu))
			}
		}
	}
	if prof.cpu != "" && !profiled {
		return fmt.Errorf("-profile-phase %q names no phase", prof.cpuPhase)
	}
	if p.plugins > 0 {
		calls, err := pluginCalls(ctx, b.config)
		if err != nil {
			return fmt.Errorf("reading the plugin metrics: %w", err)
		}
		third := ""
		if p.asThird {
			third = " (no-latest-2: the AssemblyScript guest)"
		}
		rep.notes = append(rep.notes, fmt.Sprintf("Wasm admission plugins %v%s; calls made (kapi_plugin_calls_total): %v", admissionChains[p.plugins], third, calls))
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
