package etcd3

import (
	"encoding/json"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
)

// configMapCodec stores ConfigMaps as JSON, as the registry's codecs do.
var configMapCodec = storage.Codec{
	New:     func() runtime.Object { return &corev1.ConfigMap{} },
	NewList: func() runtime.Object { return &corev1.ConfigMapList{} },
	Encode:  func(obj runtime.Object) ([]byte, error) { return json.Marshal(obj) },
	Decode:  func(data []byte, into runtime.Object) error { return json.Unmarshal(data, into) },
}

// testEtcd is one embedded etcd shared by a test, with a client to it.
type testEtcd struct {
	server *embedded.Etcd
	client *clientv3.Client
}

func startEtcd(t testing.TB, cfg embedded.Config) *testEtcd {
	t.Helper()
	cfg.UnsafeNoFsync = true // a test's etcd outlives no crash
	e, c := embeddedtest.Start(t, cfg)
	return &testEtcd{server: e, client: c}
}

// newTestStore starts etcd and returns a ConfigMap store under "/registry".
func newTestStore(t testing.TB) (*Store, *testEtcd) {
	t.Helper()
	e := startEtcd(t, embedded.Config{})
	return New(e.client, "/registry", configMapCodec), e
}

func configMap(ns, name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, UID: types.UID("uid-" + name)},
		Data:       data,
	}
}
