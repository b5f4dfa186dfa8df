package abi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// jsonAppender is a message with a hand-written encoder.
type jsonAppender interface{ AppendJSON([]byte) []byte }

// TestAppendJSONGolden checks the hand-written encoders (AdmissionReview, TokenReview,
// SubjectAccessReview) against the pinned wire bytes of every such message, both from the sample
// and from the golden file decoded.
func TestAppendJSONGolden(t *testing.T) {
	checked := 0
	for _, tc := range goldenCases() {
		msg, ok := tc.msg.(jsonAppender)
		if !ok {
			continue
		}
		checked++
		t.Run(tc.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if got := msg.AppendJSON(nil); !bytes.Equal(got, want) {
				t.Errorf("sample:\n got %s\nwant %s", got, want)
			}
			decoded := tc.zero()
			if err := json.Unmarshal(want, decoded); err != nil {
				t.Fatal(err)
			}
			if got := decoded.(jsonAppender).AppendJSON(nil); !bytes.Equal(got, want) {
				t.Errorf("decoded golden file:\n got %s\nwant %s", got, want)
			}
		})
	}
	if checked < 8 {
		t.Fatalf("only %d golden cases with a hand-written encoder found", checked)
	}
}

// TestReviewAppendJSONMatchesEncodingJSON compares the encoders with json.Marshal over edge cases
// (nil against empty slices and maps, nil list values, nil and empty certificates) and many
// randomly filled reviews.
func TestReviewAppendJSONMatchesEncodingJSON(t *testing.T) {
	cases := []jsonAppender{
		&SubjectAccessReview{},
		&SubjectAccessReview{Spec: SubjectAccessReviewSpec{ResourceAttributes: &ResourceAttributes{}, NonResourceAttributes: &NonResourceAttributes{}}},
		&SubjectAccessReview{Spec: SubjectAccessReviewSpec{Groups: []string{}, Extra: map[string][]string{}}},
		&SubjectAccessReview{Spec: SubjectAccessReviewSpec{Groups: []string{""}, Extra: map[string][]string{"nil": nil, "empty": {}, "<&>": {"\u2028"}}}},
		&SubjectAccessReview{Status: SubjectAccessReviewStatus{Denied: true, EvaluationError: "\xff"}},
		&TokenReview{},
		&TokenReview{Spec: TokenReviewSpec{Audiences: []string{}, Headers: map[string][]string{}, ClientCertificates: [][]byte{}}},
		&TokenReview{Spec: TokenReviewSpec{Headers: map[string][]string{"A": nil, "B": {}}, ClientCertificates: [][]byte{nil, {}, {0xff, 0xfe, 0}}}},
		&TokenReview{Status: TokenReviewStatus{User: UserInfo{Groups: []string{}, Extra: map[string][]string{}}, Audiences: []string{}}},
	}
	for i := range 3000 {
		rnd := rand.New(rand.NewPCG(uint64(i), 0xa77e))
		cases = append(cases, randomSubjectAccessReview(rnd), randomTokenReview(rnd))
	}
	for i, r := range cases {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("case %d: json.Marshal: %v", i, err)
		}
		if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("case %d (%T):\n got %s\nwant %s", i, r, got, want)
		}
	}
}

// TestReviewAppendJSONAppends pins that the encoders append to what b holds.
func TestReviewAppendJSONAppends(t *testing.T) {
	for _, r := range []jsonAppender{NewTokenReview(TokenReviewSpec{Token: "t"}), NewSubjectAccessReview(SubjectAccessReviewSpec{User: "u"})} {
		want, _ := json.Marshal(r)
		if got := r.AppendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
			t.Errorf("%T: got %s, want prefix%s", r, got, want)
		}
	}
}

// BenchmarkEncodeSubjectAccessReview encodes the review of a resource request, as the host does
// once per call to an authorization plugin.
func BenchmarkEncodeSubjectAccessReview(b *testing.B) {
	r := NewSubjectAccessReview(SubjectAccessReviewSpec{User: "alice", Groups: []string{"system:authenticated"},
		ResourceAttributes: &ResourceAttributes{Namespace: "team-a", Verb: "create", Version: "v1", Resource: "configmaps"}})
	benchmarkEncode(b, r)
}

// BenchmarkEncodeTokenReview encodes the review of a request with a bearer token and a few
// headers, as the host does once per call to an authentication plugin.
func BenchmarkEncodeTokenReview(b *testing.B) {
	r := NewTokenReview(TokenReviewSpec{Token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
		Headers: map[string][]string{
			"Accept":        {"application/json, */*"},
			"Authorization": {"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"},
			"User-Agent":    {"kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef"},
		}})
	benchmarkEncode(b, r)
}

// benchmarkEncode measures r's encoder ("append", into a reused buffer, as the host encodes) and
// json.Marshal of it ("encoding/json") for comparison.
func benchmarkEncode(b *testing.B, r jsonAppender) {
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// randomSubjectAccessReview fills a review with random values, every optional member sometimes
// absent, sometimes empty and sometimes set, with strings that need escaping.
func randomSubjectAccessReview(rnd *rand.Rand) *SubjectAccessReview {
	g := reviewFiller{rnd}
	r := &SubjectAccessReview{APIVersion: g.string(), Kind: g.string(), Spec: SubjectAccessReviewSpec{
		User: g.string(), Groups: g.strings(), Extra: g.stringLists(), UID: g.string(),
	}, Status: SubjectAccessReviewStatus{
		Allowed: g.chance(2), Denied: g.chance(2), Reason: g.string(), EvaluationError: g.string(),
	}}
	if g.chance(2) {
		r.Spec.ResourceAttributes = &ResourceAttributes{Namespace: g.string(), Verb: g.string(), Group: g.string(),
			Version: g.string(), Resource: g.string(), Subresource: g.string(), Name: g.string()}
	}
	if g.chance(2) {
		r.Spec.NonResourceAttributes = &NonResourceAttributes{Path: g.string(), Verb: g.string()}
	}
	return r
}

// randomTokenReview is randomSubjectAccessReview for a TokenReview, with random certificates.
func randomTokenReview(rnd *rand.Rand) *TokenReview {
	g := reviewFiller{rnd}
	r := &TokenReview{APIVersion: g.string(), Kind: g.string(), Spec: TokenReviewSpec{
		Token: g.string(), Audiences: g.strings(), Headers: g.stringLists(),
	}, Status: TokenReviewStatus{
		Authenticated: g.chance(2), Audiences: g.strings(), Error: g.string(),
		User: UserInfo{Username: g.string(), UID: g.string(), Groups: g.strings(), Extra: g.stringLists()},
	}}
	switch g.rnd.IntN(3) {
	case 0:
	case 1:
		r.Spec.ClientCertificates = [][]byte{}
	default:
		r.Spec.ClientCertificates = make([][]byte, 1+g.rnd.IntN(3))
		for i := range r.Spec.ClientCertificates {
			r.Spec.ClientCertificates[i] = g.bytes()
		}
	}
	return r
}

// stringLists is nil, empty or a map of a few random keys to random lists.
func (g reviewFiller) stringLists() map[string][]string {
	switch g.rnd.IntN(3) {
	case 0:
		return nil
	case 1:
		return map[string][]string{}
	}
	m := make(map[string][]string)
	for range 1 + g.rnd.IntN(4) {
		m[g.string()] = g.strings()
	}
	return m
}

// bytes is nil, empty or up to 40 random bytes (every length modulo 3, for base64's padding).
func (g reviewFiller) bytes() []byte {
	switch g.rnd.IntN(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	p := make([]byte, 1+g.rnd.IntN(40))
	for i := range p {
		p[i] = byte(g.rnd.UintN(256))
	}
	return p
}
