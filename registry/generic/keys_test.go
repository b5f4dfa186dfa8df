package generic

import (
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/registry/builtin"
)

// FuzzObjectKey: whatever a client puts in a URL, an accepted key is exactly the resource's
// prefix, namespace and name, each one path segment, so no request reaches another resource's
// or namespace's keys.
func FuzzObjectKey(f *testing.F) {
	for _, seed := range [][2]string{{"ns", "a"}, {"", "a"}, {"ns", "../x"}, {"..", "a"}, {"a/b", "c"}, {"ns", "."}, {"ns", "%2F"}, {"ns", ""}} {
		f.Add(seed[0], seed[1])
	}
	var cms, nss *Store
	for _, res := range builtin.Resources() {
		switch res.Plural {
		case "configmaps":
			cms = NewStore(res, nil, Deps{})
		case "namespaces":
			nss = NewStore(res, nil, Deps{})
		}
	}
	f.Fuzz(func(t *testing.T, namespace, name string) {
		for _, s := range []*Store{cms, nss} {
			key, err := s.objectKey(namespace, name)
			if err != nil {
				continue
			}
			rest, ok := strings.CutPrefix(key, s.prefix)
			if !ok {
				t.Fatalf("key %q outside prefix %q", key, s.prefix)
			}
			segments := strings.Split(rest, "/")
			want := []string{name}
			if s.res.Namespaced {
				want = []string{namespace, name}
			}
			if strings.Join(segments, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("key %q for namespace %q name %q: segments %q", key, namespace, name, segments)
			}
			for _, seg := range segments {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("key %q has segment %q", key, seg)
				}
			}
		}
		if _, err := cms.listKey(namespace); err == nil && strings.Contains(namespace, "/") {
			t.Fatalf("list key accepted namespace %q", namespace)
		}
	})
}
