package guest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

// table is the host's fields table of doc along reads.
func table(t *testing.T, reads []string, doc string) []byte {
	t.Helper()
	f, err := pluginapi.NewFields(reads)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Append(nil, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entries spells every entry Next gives as "read tokens whole marker [indices] value".
func entries(f *guest.Fields) string {
	var b strings.Builder
	for f.Next() {
		var idx []int
		for k := range f.Depth() {
			idx = append(idx, f.Index(k))
		}
		fmt.Fprintf(&b, "%d %d %v %v %v %s; ", f.Read(), f.Tokens(), f.Whole(), f.Marker(), idx, f.Value())
	}
	return b.String()
}

func TestFieldsReadsTheHostsTable(t *testing.T) {
	reads := []string{"/request/operation", "/request/object/spec/containers/*/image", "/request/object/metadata/name"}
	doc := `{"request":{"operation":"CREATE","object":{"metadata":{"name":"p"},"spec":{"containers":[{"image":"a:1"},{"name":"no image"},"odd"]}}}}`
	f, err := guest.NewFields(table(t, reads, doc), guest.CompileReads(reads))
	if err != nil {
		t.Fatal(err)
	}
	want := `0 1 false true [] {; 0 2 true false [] "CREATE"; 1 2 false true [] {; 2 3 false true [] {; 2 4 true false [] "p"; ` +
		`1 3 false true [] {; 1 4 false true [] [; 1 5 false true [0] {; 1 6 true false [0] "a:1"; 1 5 false true [1] {; 1 5 false false [2] "odd"; `
	if got := entries(f); got != want || f.Err() != nil {
		t.Errorf("entries %s (%v)\nwant    %s", got, f.Err(), want)
	}
	f, _ = guest.NewFields(table(t, reads, doc), guest.CompileReads(reads))
	for f.Next() {
		if f.Read() == 0 && f.Whole() {
			if s, ok := f.Text(); !ok || s != "CREATE" {
				t.Errorf("Text() = %q, %v", s, ok)
			}
		}
	}
}

func TestFieldsRefuseOtherReadsAndMalformedTables(t *testing.T) {
	reads := []string{"/a/*/b", "/c"}
	good := table(t, reads, `{"a":[{"b":"x"},{"b":"y"}],"c":1}`)
	if _, err := guest.NewFields(good, guest.CompileReads([]string{"/c", "/a/*/b"})); err == nil || !strings.Contains(err.Error(), "other reads") {
		t.Errorf("a table of reads in another order: %v", err)
	}
	if _, err := guest.NewFields([]byte(`{"a":1}`), guest.CompileReads(reads)); err == nil {
		t.Error("JSON was taken for a fields table")
	}
	// Every cut of the table ends in an error, never a panic or an entry past the end.
	for n := len(good) - 1; n >= 12; n-- {
		f, err := guest.NewFields(good[:n], guest.CompileReads(reads))
		if err != nil {
			t.Fatal(err)
		}
		entries(f)
		if f.Err() == nil {
			t.Errorf("the table cut to %d of %d bytes read without an error", n, len(good))
		}
	}
	// A read index past the plugin's reads is malformed too.
	bad := append([]byte(nil), good...)
	bad[12] = 9
	f, _ := guest.NewFields(bad, guest.CompileReads(reads))
	if entries(f); f.Err() == nil {
		t.Error("a read index past the reads was taken")
	}
}

// TestFieldsReadsTheGoldenTable reads abi/testdata/admissionreview-request.fields, the table
// abi/SPEC.md section 2.2 pins for abi/testdata/admissionreview-request.json.
func TestFieldsReadsTheGoldenTable(t *testing.T) {
	golden, err := os.ReadFile("../../abi/testdata/admissionreview-request.fields")
	if err != nil {
		t.Fatal(err)
	}
	reads := []string{"/request/operation", "/request/object/spec/containers/*/image", "/request/object/metadata/labels"}
	f, err := guest.NewFields(golden, guest.CompileReads(reads))
	if err != nil {
		t.Fatal(err)
	}
	want := `0 1 false true [] {; 0 2 true false [] "CREATE"; 1 2 false true [] {; 2 3 false true [] {; ` +
		`1 3 false true [] {; 1 4 false true [] [; 1 5 false true [0] {; 1 6 true false [0] "nginx:1.27"; `
	if got := entries(f); got != want || f.Err() != nil {
		t.Errorf("entries %s (%v)\nwant    %s", got, f.Err(), want)
	}
}
