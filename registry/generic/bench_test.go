package generic

import (
	"context"
	"strconv"
	"testing"

	"github.com/kapi-dev/kapi/registry"
)

// BenchmarkCreateConfigMap measures the store's create path (system fields, strategy,
// namespace check, storage) on embedded etcd.
func BenchmarkCreateConfigMap(b *testing.B) {
	env := newEnv(b)
	cms := env.configMaps(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cms.Create(context.Background(), "ns", configMap("cm-"+strconv.Itoa(i), map[string]string{"k": "v"}), registry.Admission{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateConfigMap measures an unconditional update that changes the object.
func BenchmarkUpdateConfigMap(b *testing.B) {
	env := newEnv(b)
	cms := env.configMaps(b)
	mustCreate(b, cms, "ns", configMap("cm", nil))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := configMap("cm", map[string]string{"i": strconv.Itoa(i)})
		if _, _, err := cms.Update(context.Background(), "ns", "cm", "", replaceWith(next), registry.Admission{}, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}
