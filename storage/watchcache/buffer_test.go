package watchcache

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/storage"
)

func bufferEvent(rv uint64, at time.Time) *cacheEvent {
	return &cacheEvent{event: &storage.Event{Type: watch.Added, ResourceVersion: rv}, recorded: at}
}

func rvs(events []*cacheEvent) []uint64 {
	out := make([]uint64, 0, len(events))
	for _, e := range events {
		out = append(out, e.event.ResourceVersion)
	}
	return out
}

func TestEventBufferSince(t *testing.T) {
	base := time.Unix(0, 0)
	b := newEventBuffer(4, 4, time.Nanosecond) // fixed size: freshness never grows it
	b.reset(10)
	for i, rv := range []uint64{12, 15, 16, 20, 21, 25} {
		// Events recorded far apart, so the ring neither grows nor (being at its minimum) shrinks.
		b.add(bufferEvent(rv, base.Add(time.Duration(i)*time.Hour)))
	}
	// The ring holds 16 20 21 25; 15 was pushed out, so history is complete after 15.
	cases := []struct {
		after  uint64
		want   []uint64
		expire bool
	}{
		{after: 10, expire: true},
		{after: 14, expire: true},
		{after: 15, want: []uint64{16, 20, 21, 25}},
		{after: 17, want: []uint64{20, 21, 25}},
		{after: 21, want: []uint64{25}},
		{after: 25, want: []uint64{}},
		{after: 99, want: []uint64{}},
	}
	for _, tc := range cases {
		got, ok := b.since(tc.after)
		if ok == tc.expire {
			t.Errorf("since(%d): ok = %v, want %v", tc.after, ok, !tc.expire)
			continue
		}
		if !tc.expire && !equalRVs(rvs(got), tc.want) {
			t.Errorf("since(%d) = %v, want %v", tc.after, rvs(got), tc.want)
		}
	}
}

func equalRVs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEventBufferGrowsWhileHistoryIsFreshAndShrinksWhenStale(t *testing.T) {
	base := time.Unix(0, 0)
	b := newEventBuffer(4, 16, time.Minute)
	b.reset(0)
	// 20 events a second apart: the ring is full with under a minute of history each time, so it
	// doubles up to its maximum, and then drops the oldest.
	for i := 1; i <= 20; i++ {
		b.add(bufferEvent(uint64(i), base.Add(time.Duration(i)*time.Second)))
	}
	if got := b.capacity(); got != 16 {
		t.Fatalf("capacity after a burst = %d, want 16", got)
	}
	if got, ok := b.since(4); !ok || len(got) != 16 || got[0].event.ResourceVersion != 5 {
		t.Fatalf("since(4) = %v, %v; want 5..20", rvs(got), ok)
	}
	if _, ok := b.since(3); ok {
		t.Fatal("since(3) succeeded after revision 4 was pushed out")
	}
	// An hour later the newest quarter spans more than a minute: the ring halves, keeping the
	// newest events, and forgets what it dropped.
	b.add(bufferEvent(21, base.Add(time.Hour)))
	if got := b.capacity(); got != 8 {
		t.Fatalf("capacity after a quiet hour = %d, want 8", got)
	}
	got, ok := b.since(13)
	if !ok || !equalRVs(rvs(got), []uint64{14, 15, 16, 17, 18, 19, 20, 21}) {
		t.Fatalf("since(13) = %v, %v; want 14..21", rvs(got), ok)
	}
	if _, ok := b.since(12); ok {
		t.Fatal("since(12) succeeded after the shrink dropped revision 13")
	}
}
