package main

import (
	"fmt"
	"io"
	"time"
)

// report collects a run's rows and prints them as Markdown.
type report struct {
	params    params
	goVersion string
	rows      []row
	rssMiB    float64
	notes     []string
	// cpu reads the CPU time used so far by the apiserver and by this process (the clients
	// and etcd); mark takes a reading that the next row is measured from.
	cpu     func() cpuTimes
	cpuMark cpuTimes
}

// cpuTimes are CPU times (user + system) of the two processes of a run.
type cpuTimes struct{ server, bench time.Duration }

type row struct {
	operation, target string
	count             int
	wall              time.Duration
	p50, p99          time.Duration
	cpu               cpuTimes // used since the last mark
}

// mark starts the CPU accounting of the next row.
func (r *report) mark() {
	if r.cpu != nil {
		r.cpuMark = r.cpu()
	}
}

func (r *report) add(operation, target string, count int, wall time.Duration, lat []time.Duration) {
	x := row{operation: operation, target: target, count: count, wall: wall, p50: percentile(lat, 50), p99: percentile(lat, 99)}
	if r.cpu != nil {
		now := r.cpu()
		x.cpu = cpuTimes{server: now.server - r.cpuMark.server, bench: now.bench - r.cpuMark.bench}
	}
	r.rows = append(r.rows, x)
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "kapi load benchmark: %d concurrent clients, %d operations a phase, %d Wasm admission plugins, %s\n\n",
		r.params.concurrency, r.params.ops, r.params.plugins, r.goVersion)
	fmt.Fprintln(w, "| operation | against | ops | ops/s | p50 | p99 | apiserver CPU/op | loadbench CPU/op |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, x := range r.rows {
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s |\n", x.operation, x.target, x.count,
			float64(x.count)/x.wall.Seconds(), round(x.p50), round(x.p99),
			round(x.cpu.server/time.Duration(x.count)), round(x.cpu.bench/time.Duration(x.count)))
	}
	fmt.Fprintln(w, "\nCPU/op is CPU time (user + system) over the row's operations: the apiserver's, and the load")
	fmt.Fprintln(w, "benchmark's own process, which holds the clients and the embedded etcd.")
	if r.rssMiB > 0 {
		fmt.Fprintf(w, "\nresident memory of the apiserver with %d configmaps stored and 100 watchers open: %.1f MiB\n",
			r.params.rssObjects, r.rssMiB)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, "\nnote:", n)
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
