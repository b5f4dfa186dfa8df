package abi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestAdmissionReviewAppendJSONMatchesEncodingJSON compares the encoder with json.Marshal over
// edge cases and many randomly filled reviews.
func TestAdmissionReviewAppendJSONMatchesEncodingJSON(t *testing.T) {
	f := false
	cases := []*AdmissionReview{
		{},
		{Request: &AdmissionRequest{}},
		{Response: &AdmissionResponse{}},
		{Request: &AdmissionRequest{DryRun: &f, Object: json.RawMessage{}, OldObject: json.RawMessage("null")}},
		{Request: &AdmissionRequest{UserInfo: UserInfo{Groups: []string{}, Extra: map[string][]string{}}}},
		{Request: &AdmissionRequest{UserInfo: UserInfo{Extra: map[string][]string{"nil": nil, "empty": {}, "<&>": {"\u2028"}}}}},
		{Response: &AdmissionResponse{Result: &Status{}, Patch: []byte{}, AuditAnnotations: map[string]string{}, Warnings: []string{}}},
		{Response: &AdmissionResponse{Result: &Status{Code: -1}, Patch: []byte{0xff, 0}, PatchType: new(string), Warnings: []string{""}}},
	}
	for i := range 3000 {
		cases = append(cases, randomReview(rand.New(rand.NewPCG(uint64(i), 0x5eed))))
	}
	for i, r := range cases {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("case %d: json.Marshal: %v", i, err)
		}
		if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestEncodedCopiesRawMessages pins that the object, old object and options are copied verbatim:
// neither compacted nor validated, which is what makes the encoder cheap.
func TestEncodedCopiesRawMessages(t *testing.T) {
	r := NewAdmissionReview(&AdmissionRequest{
		Object:    json.RawMessage(`{ "a" : [1, 2] }`),
		OldObject: json.RawMessage(`{"b":"<"}`),
		Options:   json.RawMessage(`not json`),
	})
	got, err := r.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"object":{ "a" : [1, 2] },`, `"oldObject":{"b":"<"},`, `"options":not json}`} {
		if !strings.Contains(string(got), part) {
			t.Errorf("%s lacks %s", got, part)
		}
	}
	if again, _ := r.Encoded(); &again[0] != &got[0] {
		t.Error("Encoded encoded the review twice")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>", "\x00\xff", "é", "\u2028", "\x7f", "\b\f\n\r\t\"\\", "\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendJSONString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got[1:], want)
		}
	})
}

// BenchmarkEncodeAdmissionReview encodes a typical Pod review (about 4 KB, most of it the object)
// as the host does once per admission stage.
func BenchmarkEncodeAdmissionReview(b *testing.B) {
	raw, err := os.ReadFile("../host/wasm/testdata/pod-review.json")
	if err != nil {
		b.Fatal(err)
	}
	var decoded AdmissionReview
	if err := json.Unmarshal(raw, &decoded); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		r := &AdmissionReview{APIVersion: decoded.APIVersion, Kind: decoded.Kind, Request: decoded.Request}
		if _, err := r.Encoded(); err != nil {
			b.Fatal(err)
		}
	}
}

// randomReview fills a review with random values, with every optional member sometimes absent,
// sometimes empty and sometimes set, strings that need escaping and RawMessages as json.Marshal
// writes them.
func randomReview(rnd *rand.Rand) *AdmissionReview {
	g := reviewFiller{rnd}
	r := &AdmissionReview{APIVersion: g.string(), Kind: g.string()}
	if g.chance(3) {
		r.Request = &AdmissionRequest{
			UID: g.string(), Kind: g.gvk(), Resource: g.gvr(), SubResource: g.string(),
			RequestSubResource: g.string(), Name: g.string(), Namespace: g.string(), Operation: g.string(),
			UserInfo: UserInfo{Username: g.string(), UID: g.string(), Groups: g.strings()},
			Object:   g.raw(), OldObject: g.raw(), Options: g.raw(),
		}
		if g.chance(2) {
			k := g.gvk()
			r.Request.RequestKind = &k
		}
		if g.chance(2) {
			res := g.gvr()
			r.Request.RequestResource = &res
		}
		if g.chance(2) {
			d := g.chance(2)
			r.Request.DryRun = &d
		}
		if g.chance(3) {
			r.Request.UserInfo.Extra = make(map[string][]string)
			for range g.rnd.IntN(4) {
				r.Request.UserInfo.Extra[g.string()] = g.strings()
			}
		}
	}
	if g.chance(3) {
		r.Response = &AdmissionResponse{UID: g.string(), Allowed: g.chance(2), Warnings: g.strings()}
		if g.chance(2) {
			r.Response.Result = &Status{Status: g.string(), Message: g.string(), Reason: g.string(), Code: g.rnd.Int32N(1000) - 100}
		}
		if g.chance(2) {
			r.Response.Patch = make([]byte, g.rnd.IntN(20))
			for i := range r.Response.Patch {
				r.Response.Patch[i] = byte(g.rnd.UintN(256))
			}
		}
		if g.chance(2) {
			pt := g.string()
			r.Response.PatchType = &pt
		}
		if g.chance(3) {
			r.Response.AuditAnnotations = make(map[string]string)
			for range g.rnd.IntN(4) {
				r.Response.AuditAnnotations[g.string()] = g.string()
			}
		}
	}
	return r
}

type reviewFiller struct{ rnd *rand.Rand }

// stringPieces are what random strings are made of: plain text and everything encoding/json
// escapes or replaces (quotes, controls, HTML characters, U+2028/9, invalid UTF-8).
var stringPieces = []string{
	"a", "Z", "0", " ", "-", ":", "/", "~", "\x7f", `"`, `\`, "<", ">", "&", "\n", "\t", "\b", "\f", "\r",
	"\x00", "\x1f", "é", "日本", "😀", "\u2028", "\u2029", "\xff", "\xe2\x80", "\xed\xa0\x80",
}

func (g reviewFiller) chance(n int) bool { return g.rnd.IntN(n) == 0 }

func (g reviewFiller) string() string {
	if g.chance(4) {
		return ""
	}
	var b strings.Builder
	for range 1 + g.rnd.IntN(8) {
		b.WriteString(stringPieces[g.rnd.IntN(len(stringPieces))])
	}
	return b.String()
}

func (g reviewFiller) strings() []string {
	switch g.rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	ss := make([]string, 1+g.rnd.IntN(3))
	for i := range ss {
		ss[i] = g.string()
	}
	return ss
}

func (g reviewFiller) gvk() GroupVersionKind {
	return GroupVersionKind{Group: g.string(), Version: g.string(), Kind: g.string()}
}

func (g reviewFiller) gvr() GroupVersionResource {
	return GroupVersionResource{Group: g.string(), Version: g.string(), Resource: g.string()}
}

// raw is nil, empty or a random value as json.Marshal writes it.
func (g reviewFiller) raw() json.RawMessage {
	switch g.rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return json.RawMessage{}
	}
	b, err := json.Marshal(g.value(3))
	if err != nil {
		panic(err)
	}
	return b
}

func (g reviewFiller) value(depth int) any {
	switch n := g.rnd.IntN(7); {
	case depth > 0 && n == 0:
		m := make(map[string]any)
		for range g.rnd.IntN(4) {
			m[g.string()] = g.value(depth - 1)
		}
		return m
	case depth > 0 && n == 1:
		a := make([]any, g.rnd.IntN(4))
		for i := range a {
			a[i] = g.value(depth - 1)
		}
		return a
	case n == 2:
		return g.rnd.NormFloat64() * 1e6
	case n == 3:
		return g.chance(2)
	case n == 4:
		return nil
	default:
		return g.string()
	}
}
