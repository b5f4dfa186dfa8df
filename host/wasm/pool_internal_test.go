package wasm

import "testing"

func TestPoolGivesTheLastSlotFirst(t *testing.T) {
	p := newPool(3)
	a, b := &instance{}, &instance{}
	p.put(a)
	p.put(nil)
	p.put(b)
	for i, want := range []*instance{b, nil, a} {
		<-p.free
		if got := p.pop(); got != want {
			t.Fatalf("pop %d = %p, want %p", i, got, want)
		}
	}
	select {
	case <-p.free:
		t.Fatal("a token is left for an empty pool")
	default:
	}
}
