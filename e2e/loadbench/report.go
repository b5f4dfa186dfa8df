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
}

type row struct {
	operation, target string
	count             int
	wall              time.Duration
	p50, p99          time.Duration
}

func (r *report) add(operation, target string, count int, wall time.Duration, lat []time.Duration) {
	r.rows = append(r.rows, row{operation, target, count, wall, percentile(lat, 50), percentile(lat, 99)})
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "kapi load benchmark: %d concurrent clients, %d operations a phase, %s\n\n",
		r.params.concurrency, r.params.ops, r.goVersion)
	fmt.Fprintln(w, "| operation | against | ops | ops/s | p50 | p99 |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: |")
	for _, x := range r.rows {
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s |\n", x.operation, x.target, x.count,
			float64(x.count)/x.wall.Seconds(), round(x.p50), round(x.p99))
	}
	fmt.Fprintf(w, "\nresident memory of the apiserver with %d configmaps stored and 100 watchers open: %.1f MiB\n",
		r.params.rssObjects, r.rssMiB)
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
