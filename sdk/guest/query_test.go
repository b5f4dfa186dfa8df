package guest

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestQueryScan(t *testing.T) {
	q := NewQuery(
		[]string{"request", "uid"},
		[]string{"request", "object", "spec", "containers", "*", "image"},
		[]string{"request", "object", "spec", "containers", "*"},
		[]string{"request", `we"ird`},
		[]string{"request", "escaped"},
		[]string{"request", "z"},
		[]string{"request", "missing"},
		[]string{"request", "n", "deeper"},
	)
	var got []string
	if !q.Scan([]byte(doc), func(path int, value []byte) {
		got = append(got, strings.Repeat("#", path)+string(value))
	}) {
		t.Fatal("Scan found the document malformed")
	}
	want := []string{
		`"u-1"`,
		`#"nginx"`, `##{"name":"a","image":"nginx"}`,
		`#"x:1"`, `##{"name":"b","image":"x:1"}`,
		`###"v"`, `####"yes"`, `#####null`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, bad := range []string{``, `{`, `{"request":{"uid":"u"`, `{"request":[1,}`, `{"request" 1}`, `{"request":{"uid":"u"}x`} {
		if q.Scan([]byte(bad), func(int, []byte) {}) {
			t.Errorf("Scan(%q) = true for a malformed document", bad)
		}
	}
}

// FuzzQueryAgreesWithLookup checks Scan against Lookup: on a well-formed document, the first
// value Scan gives for a path is the one Lookup finds.
func FuzzQueryAgreesWithLookup(f *testing.F) {
	f.Add(doc)
	if review, err := os.ReadFile("../../host/wasm/testdata/pod-review.json"); err == nil {
		f.Add(string(review))
	}
	paths := [][]string{
		{"request", "uid"}, {"request", "object", "spec"}, {"request", "object", "metadata", "name"},
		{"request", "escaped"}, {"a"}, {"a", "b"}, {},
	}
	q := NewQuery(paths...)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		first := make([]string, len(paths))
		found := make([]bool, len(paths))
		if !q.Scan([]byte(in), func(path int, value []byte) {
			if !found[path] {
				first[path], found[path] = string(value), true
			}
		}) {
			t.Fatalf("Scan found valid JSON %q malformed", in)
		}
		for i, p := range paths {
			want, ok := Lookup([]byte(in), p...)
			if ok != found[i] || string(want) != first[i] {
				t.Errorf("path %q of %q: Scan gives %q, %v; Lookup %q, %v", p, in, first[i], found[i], want, ok)
			}
		}
	})
}

// TestQueryNames covers how Scan matches member names: by length and first eight bytes, then
// the rest; escaped names after unquoting; names at the very end of the document.
func TestQueryNames(t *testing.T) {
	q := NewQuery(
		[]string{"containers"},
		[]string{"containersX"},
		[]string{"containerz"},
		[]string{"abcdefgh"},
		[]string{"abcdefg"},
		[]string{""},
		[]string{"*"},
		[]string{`a\"b`},
	)
	for in, want := range map[string]string{
		`{"containers":1,"containerz":2,"containersX":3,"containersY":4}`: `0:1 2:2 1:3`,
		`{"abcdefg":1,"abcdefgh":2,"abcdefghi":3,"abcdef":4}`:             `4:1 3:2`,
		`{"":5,"*":6}`:                   `5:5`,
		`{"contain\u0065rs":7}`:          `0:7`,
		`{"a\"b":8,"a\\\"b":9}`:          `7:9`,
		`{"x":0,"abcdefg":1}`:            `4:1`,
		`{"x":0,"abcdefg"` + "\t:\t1\n}": `4:1`,
	} {
		var got []string
		if !q.Scan([]byte(in), func(path int, value []byte) { got = append(got, strconv.Itoa(path)+":"+string(value)) }) {
			t.Errorf("Scan(%s) found it malformed", in)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Scan(%s) = %q, want %q", in, strings.Join(got, " "), want)
		}
	}
}
