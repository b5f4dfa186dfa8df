package etcd3

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

func BenchmarkGet(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, map[string]string{"k": "v"})); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGuaranteedUpdate(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil)); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, func(cur runtime.Object) (runtime.Object, error) {
			return setData("n", fmt.Sprint(i))(cur)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetListPage(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	for i := range 500 {
		name := fmt.Sprintf("cm-%04d", i)
		if _, err := s.Create(ctx, "/configmaps/ns1/"+name, configMap("ns1", name, nil, nil)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := s.GetList(ctx, "/configmaps/", storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 100}}); err != nil {
			b.Fatal(err)
		}
	}
}
