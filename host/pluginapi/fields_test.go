package pluginapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
)

// fieldEntry is one entry of a fields table, its value decoded; marker is the bracket of an
// object's or array's marker.
type fieldEntry struct {
	read, tokens int
	indices      []uint32
	value        any
	marker       string
}

func (e fieldEntry) String() string {
	v, _ := json.Marshal(e.value)
	if e.marker != "" {
		v = []byte(e.marker)
	}
	return fmt.Sprintf("(%d, %d, %v, %s)", e.read, e.tokens, e.indices, v)
}

// parseFields decodes a fields table as abi/SPEC.md section 2.2 lays it out, checking its header
// against reads.
func parseFields(t *testing.T, table []byte, reads []string) []fieldEntry {
	t.Helper()
	if len(table) < abi.FieldsHeaderSize || string(table[:4]) != abi.FieldsMagic {
		t.Fatalf("no fields header: %q", table)
	}
	if h := binary.LittleEndian.Uint32(table[4:]); h != abi.ReadsHash(reads) {
		t.Fatalf("reads hash %#x, want %#x", h, abi.ReadsHash(reads))
	}
	count := binary.LittleEndian.Uint32(table[8:])
	rest := table[abi.FieldsHeaderSize:]
	var entries []fieldEntry
	for range count {
		e := fieldEntry{read: int(binary.LittleEndian.Uint16(rest)), tokens: int(binary.LittleEndian.Uint16(rest[2:]))}
		depth := int(binary.LittleEndian.Uint16(rest[4:]))
		if rest[6] != 0 || rest[7] != 0 {
			t.Fatalf("entry %v: reserved bytes are not zero", e)
		}
		rest = rest[abi.FieldsEntrySize:]
		for k := range depth {
			e.indices = append(e.indices, binary.LittleEndian.Uint32(rest[4*k:]))
		}
		rest = rest[4*depth:]
		n := binary.LittleEndian.Uint32(rest)
		if v := rest[4 : 4+n]; string(v) == "{" || string(v) == "[" {
			e.marker = string(v)
			rest = rest[4+n:]
			entries = append(entries, e)
			continue
		}
		if err := json.Unmarshal(rest[4:4+n], &e.value); err != nil {
			t.Fatalf("entry %v: value %q is not JSON: %v", e, rest[4:4+n], err)
		}
		rest = rest[4+n:]
		entries = append(entries, e)
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes after the last entry", len(rest))
	}
	return entries
}

func TestFieldsExample(t *testing.T) {
	// abi/SPEC.md section 2.2's example.
	reads := []string{"/request/operation", "/request/object/spec/containers/*/image"}
	doc := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE",` +
		`"object":{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"nginx:1.27"},{"name":"b","image":"redis"}]}}}}`
	want := "[(0, 1, [], {) (0, 2, [], \"CREATE\") (1, 2, [], {) (1, 3, [], {) (1, 4, [], [) (1, 5, [0], {) (1, 6, [0], \"nginx:1.27\") (1, 5, [1], {) (1, 6, [1], \"redis\")]"
	f, err := NewFields(reads)
	if err != nil {
		t.Fatal(err)
	}
	table, err := f.Append(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(parseFields(t, table, reads)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A path that cannot go on gives the value where it stops, on the lowest of the reads through
	// it; a prefix of another read gives its values and the longer one none; every object and
	// array a path goes into gives its marker, an empty one too.
	cases := []struct{ reads, doc, want string }{
		{`["/a/*/x", "/a/*/y"]`, `{"a":"str"}`, `[(0, 1, [], "str")]`},
		{`["/a/*/x", "/a/*/y"]`, `{"a":[{"y":1},null,{}]}`, `[(0, 1, [], [) (0, 2, [0], {) (1, 3, [0], 1) (0, 2, [1], null) (0, 2, [2], {)]`},
		{`["/a/b/c", "/a/b"]`, `{"a":{"b":{"c":1}}}`, `[(0, 1, [], {) (1, 2, [], {"c":1})]`},
		{`["/a/0"]`, `{"a":[1,2]}`, `[(0, 1, [], [1,2])]`},
		{`["/a/*/*"]`, `{"a":[[1,2],[],[3]]}`, `[(0, 1, [], [) (0, 2, [0], [) (0, 3, [0 0], 1) (0, 3, [0 1], 2) (0, 2, [1], [) (0, 2, [2], [) (0, 3, [2 0], 3)]`},
		{`["/a/*"]`, `{"a":[{"x":1},2]}`, `[(0, 1, [], [) (0, 2, [0], {"x":1}) (0, 2, [1], 2)]`},
		{`["/x"]`, `{"a":{"x":1}}`, `[]`},
		{`["/a/x"]`, `{"a":{}}`, `[(0, 1, [], {)]`},
		{`[]`, `{"a":1}`, `[]`},
	}
	for _, c := range cases {
		var reads []string
		if err := json.Unmarshal([]byte(c.reads), &reads); err != nil {
			t.Fatal(err)
		}
		f, err := NewFields(reads)
		if err != nil {
			t.Fatal(err)
		}
		table, err := f.Append([]byte("prefix"), []byte(c.doc))
		if err != nil || !bytes.HasPrefix(table, []byte("prefix")) {
			t.Fatalf("reads %s, doc %s: %v", c.reads, c.doc, err)
		}
		got := fmt.Sprint(parseFields(t, table[len("prefix"):], reads))
		if got != c.want {
			t.Errorf("reads %s, doc %s:\n got %s\nwant %s", c.reads, c.doc, got, c.want)
		}
	}
}

func TestFieldsRefuseMalformedDocuments(t *testing.T) {
	f, err := NewFields([]string{"/a/*/b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{``, `[]`, `{`, `{"a":[{"b":1}`, `{"a":[{"b":1},]}`, `{"a" 1}`, `{"a":1,}`, `{"a":1} x`, `{"a":"unterminated}`} {
		if out, err := f.Append([]byte("x"), []byte(doc)); err == nil || string(out) != "x" {
			t.Errorf("%q: %q, %v; want an error and dst as it was", doc, out, err)
		}
	}
}

// TestFieldsMatchDecodedFields builds the tables of random documents along random reads, as
// TestProjectionMatchesDecodedProjection does, and compares their entries with the same walk
// done on the decoded document, entry order aside (a decoded object has none).
func TestFieldsMatchDecodedFields(t *testing.T) {
	for i, r := range randomReviews(t, 3) {
		f, err := NewFields(r.reads)
		if err != nil {
			t.Fatal(err)
		}
		table, err := f.Append(nil, r.raw)
		if err != nil {
			t.Fatalf("doc %d, reads %q: %v", i, r.reads, err)
		}
		got := parseFields(t, table, r.reads)
		want := fieldsDecoded(&f.root, r.doc, nil, nil)
		byKey := func(a, b fieldEntry) int { return strings.Compare(a.String(), b.String()) }
		slices.SortFunc(got, byKey)
		slices.SortFunc(want, byKey)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("doc %d, reads %q:\n got %v\nwant %v", i, r.reads, got, want)
		}
	}
}

// fieldsDecoded is the fields table's meaning on a decoded value, the reference Append is held
// to: projectDecoded's walk, with an entry wherever it keeps a value whole.
func fieldsDecoded(n *projNode, v any, indices []uint32, out []fieldEntry) []fieldEntry {
	switch x := v.(type) {
	case map[string]any:
		if n.whole {
			break
		}
		if n.tokens > 0 { // the document itself has no marker
			out = append(out, fieldEntry{read: n.first, tokens: n.tokens, indices: indices, marker: "{"})
		}
		for name, member := range x {
			for _, c := range n.children {
				if c.name == name {
					out = fieldsDecoded(c, member, indices, out)
				}
			}
		}
		return out
	case []any:
		each := n.element()
		if n.whole || each == nil {
			break
		}
		out = append(out, fieldEntry{read: n.first, tokens: n.tokens, indices: indices, marker: "["})
		for i, e := range x {
			out = fieldsDecoded(each, e, append(slices.Clip(indices), uint32(i)), out)
		}
		return out
	}
	read := n.first
	if n.whole {
		read = n.ends
	}
	return append(out, fieldEntry{read: read, tokens: n.tokens, indices: indices, value: v})
}

func BenchmarkFieldsPodReview(b *testing.B) {
	doc := encodedPodReview(b)
	f, err := NewFields(nolatest.Reads)
	if err != nil {
		b.Fatal(err)
	}
	var out []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if out, err = f.Append(out[:0], doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "out-bytes")
}

// goldenFieldsReads are the reads abi/testdata/admissionreview-request.fields is the table of, for
// abi/testdata/admissionreview-request.json (abi/SPEC.md section 2.2).
var goldenFieldsReads = []string{"/request/operation", "/request/object/spec/containers/*/image", "/request/object/metadata/labels"}

// TestFieldsGolden pins the table's bytes: a guest in another language tests its reader against
// the golden file.
func TestFieldsGolden(t *testing.T) {
	review, err := os.ReadFile("../../abi/testdata/admissionreview-request.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFields(goldenFieldsReads)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Append(nil, bytes.TrimSpace(review))
	if err != nil {
		t.Fatal(err)
	}
	golden := "../../abi/testdata/admissionreview-request.fields"
	if os.Getenv("KAPI_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading the golden file (KAPI_UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the fields table changed:\n got %x\nwant %x", got, want)
	}
	entries := fmt.Sprint(parseFields(t, want, goldenFieldsReads))
	if w := `[(0, 1, [], {) (0, 2, [], "CREATE") (1, 2, [], {) (2, 3, [], {) (1, 3, [], {) (1, 4, [], [) (1, 5, [0], {) (1, 6, [0], "nginx:1.27")]`; entries != w {
		t.Errorf("golden entries %s\nwant %s", entries, w)
	}
}
