package openapi

import "testing"

func TestChoose(t *testing.T) {
	tests := []struct {
		accept string
		want   int
	}{
		{"", 0},
		{"*/*", 0},
		{"application/*", 0},
		{"application/json", 0},
		{"application/com.github.proto-openapi.spec.v2@v1.0+protobuf", 1},
		{"application/com.github.proto-openapi.spec.v2.v1.0+protobuf", 2},
		{"application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf", 1},
		{"application/json;q=0, text/html", -1},
		{"text/html, application/xml;q=0.9", -1},
		{"application/json;q=abc", -1},
	}
	for _, tt := range tests {
		if got := choose(tt.accept, v2Offers); got != tt.want {
			t.Errorf("choose(%q) = %d, want %d", tt.accept, got, tt.want)
		}
	}
}

func FuzzChoose(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/json;q=0.5,a/b", ";;,/,q=", "application/x;q=1;q=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if got := choose(accept, v2Offers); got < -1 || got >= len(v2Offers) {
			t.Fatalf("choose(%q) = %d", accept, got)
		}
	})
}
