package guest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
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

func TestView(t *testing.T) {
	raw := []byte(`"registry.example.com:5000/shop/web:v2.4.1"`)
	s, ok := View(raw)
	if !ok || s != "registry.example.com:5000/shop/web:v2.4.1" {
		t.Fatalf("View = %q, %v", s, ok)
	}
	if unsafe.StringData(s) != &raw[1] {
		t.Error("View copied a string without escapes")
	}
	for in, want := range map[string]string{`""`: "", `"a\"b\u00e9"`: `a"bé`, `"0123456\n"`: "0123456\n", `"01234567\\"`: `01234567\`} {
		if got, ok := View([]byte(in)); !ok || got != want {
			t.Errorf("View(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{``, `"`, `x"`, `"a`, `1`, "\"tab\there\"", "\"01234567\x01\""} {
		if got, ok := View([]byte(bad)); ok {
			t.Errorf("View(%q) = %q, true; want false", bad, got)
		}
	}
}

// TestByteMarks checks the word-at-a-time tests against the byte-at-a-time ones they replace,
// on words holding every byte value in every position, beside neighbours that could borrow
// or carry into it.
func TestByteMarks(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{0, 1, '!', '"' + 1, 0x7f, 0x80, 0xff} {
				word := bytes.Repeat([]byte{fill}, 8)
				word[pos] = byte(b)
				w := binary.LittleEndian.Uint64(word)
				for _, c := range []byte{'"', '\\', '{', '}', 0} {
					if got, want := bytesEqual(w, c), marks(word, func(x byte) bool { return x == c }); got != want {
						t.Fatalf("bytesEqual(% x, %q) = %x, want %x", word, c, got, want)
					}
				}
				for _, n := range []byte{1, 0x20, 0x80} {
					if got, want := bytesBelow(w, n), marks(word, func(x byte) bool { return x < n }); got != want {
						t.Fatalf("bytesBelow(% x, %#x) = %x, want %x", word, n, got, want)
					}
				}
			}
		}
	}
}

func marks(word []byte, is func(byte) bool) uint64 {
	var m uint64
	for k, x := range word {
		if is(x) {
			m |= 0x80 << (8 * k)
		}
	}
	return m
}

// TestSkipValueAgreesWithBytewise compares skipValue, which reads containers eight bytes at a
// time, with a byte-at-a-time reference, on documents whose strings, escapes and brackets fall
// at every offset within a word, and on each of their prefixes (which are cut short).
func TestSkipValueAgreesWithBytewise(t *testing.T) {
	parts := []string{`{`, `}`, `[`, `]`, `"`, `\"`, `\\`, `"{"`, `"]"`, `"a\"]"`, `"\\"`, `1`, `,`, ` `, `"ab"`, `:`, `"x\\\"y"`}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		b.WriteString(`{`)
		for range rng.IntN(24) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		doc := []byte(b.String() + `}]}]}`)
		for n := range len(doc) + 1 {
			end, ok := skipValue(doc[:n], 0)
			wantEnd, wantOK := skipContainerBytewise(doc[:n])
			if ok != wantOK || (ok && end != wantEnd) {
				t.Fatalf("skipValue(%s) = %d, %v; want %d, %v", doc[:n], end, ok, wantEnd, wantOK)
			}
		}
	}
}

// skipContainerBytewise is what skipValue did before it read words: the reference.
func skipContainerBytewise(doc []byte) (int, bool) {
	depth, inString := 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}
