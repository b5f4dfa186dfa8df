package process_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/process"
)

// BenchmarkAuthorizeProcess is one authorization through a plugin process: encode the review,
// one unary gRPC call over the long-lived connection (mTLS, Unix socket), the plugin's decode,
// decision and encode, and the host's decode of the answer.
func BenchmarkAuthorizeProcess(b *testing.B) {
	p := load(b, manifest(b, "bench", abi.KindAuthorizer), nil, process.Options{Logger: slog.New(slog.DiscardHandler)})
	r := review("alice")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		st, err := p.Authorize(ctx, r)
		if err != nil || !st.Allowed {
			b.Fatalf("%+v, %v", st, err)
		}
	}
}

// BenchmarkAuthorizeProcessParallel is the same call from many goroutines at once, multiplexed on
// the one connection.
func BenchmarkAuthorizeProcessParallel(b *testing.B) {
	p := load(b, manifest(b, "bench", abi.KindAuthorizer), nil, process.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := review("alice")
		for pb.Next() {
			st, err := p.Authorize(ctx, r)
			if err != nil || !st.Allowed {
				b.Errorf("%+v, %v", st, err)
				return
			}
		}
	})
}
