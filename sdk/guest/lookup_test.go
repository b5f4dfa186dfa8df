package guest

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

const doc = ` {"request": {"uid":"u-1", "object":{"spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"x:1"}]}},
  "we\"ird":"v", "esc\u0061ped":"yes", "n": -1.5e3, "t": true, "z": null, "e": [], "o": {} } }`

func TestLookup(t *testing.T) {
	cases := []struct {
		path []string
		want string
		ok   bool
	}{
		{[]string{"request", "uid"}, `"u-1"`, true},
		{[]string{"request", "object", "spec", "containers", "1", "image"}, `"x:1"`, true},
		{[]string{"request", "object", "spec", "containers", "0"}, `{"name":"a","image":"nginx"}`, true},
		{[]string{"request", "object", "spec", "containers", "2"}, ``, false},
		{[]string{"request", "object", "spec", "containers", "-1"}, ``, false},
		{[]string{"request", "object", "spec", "containers", "x"}, ``, false},
		{[]string{"request", `we"ird`}, `"v"`, true},
		{[]string{"request", "escaped"}, `"yes"`, true},
		{[]string{"request", "n"}, `-1.5e3`, true},
		{[]string{"request", "t"}, `true`, true},
		{[]string{"request", "z"}, `null`, true},
		{[]string{"request", "e"}, `[]`, true},
		{[]string{"request", "e", "0"}, ``, false},
		{[]string{"request", "o", "k"}, ``, false},
		{[]string{"request", "uid", "deeper"}, ``, false},
		{[]string{"missing"}, ``, false},
	}
	for _, tc := range cases {
		got, ok := Lookup([]byte(doc), tc.path...)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("Lookup(%q) = %s, %v; want %s, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

func TestElementsAndUnquote(t *testing.T) {
	containers, _ := Lookup([]byte(doc), "request", "object", "spec", "containers")
	var images []string
	if !Elements(containers, func(c []byte) bool {
		raw, _ := Lookup(c, "image")
		s, _ := Unquote(raw)
		images = append(images, s)
		return true
	}) {
		t.Fatal("Elements: not an array")
	}
	if len(images) != 2 || images[0] != "nginx" || images[1] != "x:1" {
		t.Errorf("images %q", images)
	}
	if Elements([]byte(`{"a":1}`), func([]byte) bool { return true }) {
		t.Error("Elements accepted an object")
	}
	if s, ok := Unquote([]byte(`"a\"b\u00e9"`)); !ok || s != `a"bé` {
		t.Errorf("Unquote escapes: %q %v", s, ok)
	}
	if _, ok := Unquote([]byte(`nope`)); ok {
		t.Error("Unquote accepted a non-string")
	}
}

// FuzzLookup checks Lookup against encoding/json on every path through well-formed documents.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(doc))
	if b, err := os.ReadFile("../../host/wasm/testdata/pod-review.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`[1,[2,{"a":"\\"}],"x"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Lookup(data, "a", "0", "b") // must not panic on anything
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		// Compare on the document as encoding/json writes it: no duplicate member names, for
		// which Lookup takes the first and encoding/json the last.
		data, _ = json.Marshal(v)
		var walk func(v any, path []string)
		walk = func(v any, path []string) {
			got, ok := Lookup(data, path...)
			if !ok {
				t.Fatalf("Lookup(%q) failed on valid JSON %s", path, data)
			}
			var gv any
			if err := json.Unmarshal(got, &gv); err != nil {
				t.Fatalf("Lookup(%q) = %s, not a JSON value: %v", path, got, err)
			}
			a, _ := json.Marshal(gv)
			b, _ := json.Marshal(v)
			if !bytes.Equal(a, b) {
				t.Fatalf("Lookup(%q) = %s, want %s", path, a, b)
			}
			if len(path) > 4 {
				return
			}
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					walk(e, append(path[:len(path):len(path)], k))
				}
			case []any:
				for i, e := range x {
					walk(e, append(path[:len(path):len(path)], strconv.Itoa(i)))
				}
			}
		}
		walk(v, nil)
	})
}

func TestMembers(t *testing.T) {
	req, _ := Lookup([]byte(doc), "request")
	var names []string
	var nValue string
	if !Members(req, func(name, value []byte) bool {
		s, _ := Unquote(name)
		names = append(names, s)
		if MemberIs(name, "n") {
			nValue = string(value)
		}
		return true
	}) {
		t.Fatal("Members: not an object")
	}
	want := []string{"uid", "object", `we"ird`, "escaped", "n", "t", "z", "e", "o"}
	if strings.Join(names, "|") != strings.Join(want, "|") || nValue != "-1.5e3" {
		t.Errorf("members %q, n=%s", names, nValue)
	}
	if Members([]byte(`[1]`), func(_, _ []byte) bool { return true }) {
		t.Error("Members accepted an array")
	}
	if !Members([]byte(` {} `), func(_, _ []byte) bool { t.Error("member of {}"); return true }) {
		t.Error("Members refused {}")
	}
}

func TestSkipStringBackslashes(t *testing.T) {
	for raw, want := range map[string]string{`"a\\"x`: `"a\\"`, `"a\"b"x`: `"a\"b"`, `"\\\""x`: `"\\\""`} {
		end, ok := skipString([]byte(raw), 0)
		if !ok || raw[:end] != want {
			t.Errorf("skipString(%s) = %q, want %q", raw, raw[:end], want)
		}
	}
}

func TestSeek(t *testing.T) {
	rest, ok := Seek([]byte(doc), "request", "object", "spec", "containers")
	if !ok || !strings.HasPrefix(string(rest), `[{"name":"a"`) || !strings.HasSuffix(string(rest), "} }") {
		t.Fatalf("Seek = %q, %v", rest, ok)
	}
	n := 0
	if !Elements(rest, func([]byte) bool { n++; return true }) || n != 2 {
		t.Errorf("Elements over a Seek result saw %d elements", n)
	}
	if _, ok := Seek([]byte(doc), "request", "nope"); ok {
		t.Error("Seek found a missing member")
	}
}
