package server

import "golang.org/x/net/http2"

// newWriteScheduler is the HTTP/2 write scheduler of every connection: x/net's random scheduler,
// which keeps only the streams that have frames queued.
//
// Go's default scheduler (round robin, in net/http's bundled copy and in x/net alike) keeps every
// open stream in a ring and walks the ring for each frame it writes, including the walk that
// finds nothing left to write. A client-go client multiplexes all its watches over one
// connection (up to MaxConcurrentStreams, 1000), and a watch event is one DATA frame per
// watcher, so one event to 1,000 watches on one connection cost about a million queue checks,
// under the connection's single serving goroutine. The random scheduler's Pop looks only at
// streams with queued frames; it honours flow control and writes control frames first like the
// others, and it ignores the clients' stream priorities, which client-go does not send.
func newWriteScheduler() http2.WriteScheduler { return http2.NewRandomWriteScheduler() }
