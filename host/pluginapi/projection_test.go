package pluginapi

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
)

func TestProjectionAppend(t *testing.T) {
	const review = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
		`"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",` +
		`"object":{"metadata":{"name":"p","labels":{"a.b/c":"d"}},"spec":{"containers":[` +
		`{"name":"web","image":"nginx","ports":[{"containerPort":80}]},"oops",{"name":"side"}]}}}}`
	tests := []struct {
		name  string
		kind  abi.Kind
		reads []string
		want  string
	}{{
		name:  "containers' images, keeping every element's place",
		kind:  abi.KindValidatingAdmission,
		reads: []string{"/request/object/spec/containers/*/image"},
		want: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
			`"object":{"spec":{"containers":[{"image":"nginx"},"oops",{}]}}}}`,
	}, {
		name:  "a whole object, and a path under it adds nothing",
		kind:  abi.KindMutatingAdmission,
		reads: []string{"/request/resource", "/request/resource/group", "/request/operation"},
		want: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
			`"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE"}}`,
	}, {
		name:  "escaped tokens name a label key with a slash",
		kind:  abi.KindValidatingAdmission,
		reads: []string{"/request/object/metadata/labels/a.b~1c"},
		want: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",` +
			`"object":{"metadata":{"labels":{"a.b/c":"d"}}}}}`,
	}, {
		name:  "absent members leave nothing",
		kind:  abi.KindValidatingAdmission,
		reads: []string{"/request/oldObject/metadata", "/request/object/status"},
		want:  `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","object":{}}}`,
	}, {
		name:  "a path that cannot go on keeps the value it stops at",
		kind:  abi.KindValidatingAdmission,
		reads: []string{"/request/operation/x", "/request/object/spec/containers/0/name"},
		want: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE",` +
			`"object":{"spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}]},"oops",{"name":"side"}]}}}}`,
	}, {
		name:  "no reads: what every projection keeps",
		kind:  abi.KindValidatingAdmission,
		reads: []string{},
		want:  `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1"}}`,
	}, {
		name:  "an authorizer's review has no uid to keep",
		kind:  abi.KindAuthorizer,
		reads: []string{},
		want:  `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewProjection(tt.kind, tt.reads)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Append(nil, []byte(review))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestProjectionRefusesBadPointers(t *testing.T) {
	for _, ptr := range []string{"", "request/uid", "/a~2b", "/a~"} {
		if _, err := NewProjection(abi.KindAuthorizer, []string{ptr}); err == nil || !strings.Contains(err.Error(), "reads[0]") {
			t.Errorf("%q: error %v, want one naming reads[0]", ptr, err)
		}
	}
}

func TestProjectionRefusesMalformedDocuments(t *testing.T) {
	p, err := NewProjection(abi.KindAuthorizer, []string{"/spec/user"})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{``, `[]`, `{"spec":`, `{"spec":{"user":"a"}`, `{"spec":{"user":"a}}`, `{"spec":{} x`, `{"a" 1}`, `{"a":1,}`} {
		if out, err := p.Append(nil, []byte(doc)); err == nil {
			t.Errorf("%q: projected to %s, want an error", doc, out)
		}
	}
}

// TestProjectionMatchesDecodedProjection projects random documents (and the Pod review of the
// Wasm benchmarks, whitespace and all) along random paths and compares the result with the same
// projection done on the decoded document: the bytes must be JSON that decodes to it.
func TestProjectionMatchesDecodedProjection(t *testing.T) {
	for i, r := range randomReviews(t, 1) {
		p, err := NewProjection(abi.KindValidatingAdmission, r.reads)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Append(nil, r.raw)
		if err != nil {
			t.Fatalf("doc %d, reads %q: %v", i, r.reads, err)
		}
		var decoded any
		if err := json.Unmarshal(got, &decoded); err != nil {
			t.Fatalf("doc %d, reads %q: projection is not JSON: %v\n%s", i, r.reads, err, got)
		}
		want := projectDecoded(&p.root, r.doc)
		if !reflect.DeepEqual(decoded, want) {
			t.Fatalf("doc %d, reads %q:\n got %s\nwant %v", i, r.reads, got, want)
		}
	}
}

// randomReview is a document, as JSON and decoded, and reads along it.
type randomReview struct {
	doc   any
	raw   []byte
	reads []string
}

// randomReviews are the Pod review of the Wasm benchmarks (its file's bytes, whitespace and all)
// and 300 random documents shaped as reviews, indented, each with one to four random reads.
func randomReviews(t *testing.T, seed uint64) []randomReview {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pod, err := os.ReadFile("../wasm/testdata/pod-review.json")
	if err != nil {
		t.Fatal(err)
	}
	var podDoc any
	if err := json.Unmarshal(pod, &podDoc); err != nil {
		t.Fatal(err)
	}
	docs := []any{podDoc}
	for range 300 {
		docs = append(docs, map[string]any{"apiVersion": "v", "kind": "k", "request": randomValue(rng, 4)})
	}
	var out []randomReview
	for i, doc := range docs {
		raw, _ := json.MarshalIndent(doc, "", " ")
		if i == 0 {
			raw = pod
		}
		var reads []string
		for range 1 + rng.IntN(4) {
			reads = append(reads, randomPointer(rng, doc))
		}
		out = append(out, randomReview{doc, raw, reads})
	}
	return out
}

// projectDecoded is the projection's meaning on a decoded value, the reference Append is held to.
func projectDecoded(n *projNode, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if n.whole {
			break
		}
		out := map[string]any{}
		for name, member := range x {
			for _, c := range n.children {
				if c.name == name {
					out[name] = projectDecoded(c, member)
				}
			}
		}
		return out
	case []any:
		each := n.element()
		if n.whole || each == nil {
			break
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = projectDecoded(each, e)
		}
		return out
	}
	return v
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

var names = []string{"a", "b", "spec", "x/y", "t~n", `q"uo`, "é", "*"}

func randomValue(rng *rand.Rand, depth int) any {
	switch k := rng.IntN(8); {
	case depth == 0 || k == 0:
		return []any{"s", 1.5, true, nil, `e"\`}[rng.IntN(5)]
	case k < 5:
		m := map[string]any{}
		for range rng.IntN(4) {
			m[names[rng.IntN(len(names))]] = randomValue(rng, depth-1)
		}
		return m
	default:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = randomValue(rng, depth-1)
		}
		return a
	}
}

// randomPointer walks doc at random, mostly along what is there, and spells the walk as a
// JSON pointer with "*" for arrays.
func randomPointer(rng *rand.Rand, doc any) string {
	var b strings.Builder
	v := doc
	for range 1 + rng.IntN(5) {
		switch x := v.(type) {
		case map[string]any:
			name := names[rng.IntN(len(names))]
			for k := range x {
				if rng.IntN(2) == 0 {
					name = k
					break
				}
			}
			b.WriteString("/" + pointerEscaper.Replace(name))
			v = x[name]
		case []any:
			if rng.IntN(5) == 0 {
				b.WriteString("/" + strconv.Itoa(rng.IntN(3)))
				v = nil
				continue
			}
			b.WriteString("/*")
			if len(x) > 0 {
				v = x[rng.IntN(len(x))]
			}
		default:
			b.WriteString("/" + pointerEscaper.Replace(names[rng.IntN(len(names))]))
		}
	}
	return b.String()
}

// encodedPodReview is the Pod review of the Wasm benchmarks as the host encodes it.
func encodedPodReview(b *testing.B) []byte {
	raw, err := os.ReadFile("../wasm/testdata/pod-review.json")
	if err != nil {
		b.Fatal(err)
	}
	var review abi.AdmissionReview
	if err := json.Unmarshal(raw, &review); err != nil {
		b.Fatal(err)
	}
	doc, err := review.Encoded()
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func BenchmarkProjectPodReview(b *testing.B) {
	doc := encodedPodReview(b)
	p, err := NewProjection(abi.KindValidatingAdmission, nolatest.Reads)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	var out []byte
	for b.Loop() {
		if out, err = p.Append(out[:0], doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "out-bytes")
}
