package generic

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
)

func builtinResource(t testing.TB, group, plural string) *registry.Resource {
	t.Helper()
	for _, res := range builtin.Resources() {
		if res.Group == group && res.Plural == plural {
			return res
		}
	}
	t.Fatalf("no built-in %s/%s", group, plural)
	return nil
}

// codecSamples are objects with the fields whose encodings differ most between JSON and
// protobuf: timestamps, quantities, int-or-strings, maps, raw managed fields, pointers.
func codecSamples() []struct {
	group, plural string
	obj           runtime.Object
} {
	created := metav1.NewTime(time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC))
	meta := metav1.ObjectMeta{
		Name: "sample", Namespace: "ns", UID: "0b7c5e1a-5d43-4a8e-9c1e-2f1f6d1e4b11", ResourceVersion: "",
		Generation: 2, CreationTimestamp: created, Labels: map[string]string{"app": "x", "tier": "web"},
		Annotations: map[string]string{"note": "ünïcode"}, Finalizers: []string{"example.com/f"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", Time: &created, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`)}}},
	}
	replicas := int32(3)
	return []struct {
		group, plural string
		obj           runtime.Object
	}{
		{"", "configmaps", &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"b": "2", "a": "1"}, BinaryData: map[string][]byte{"bin": {0, 1, 2}}}},
		{"", "pods", &corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c", Image: "nginx:1.25", Ports: []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
		}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &created}}},
		{"apps", "deployments", &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
			Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
		}}},
	}
}

// TestCodecWritesKubesProtobufBytes: a built-in is stored byte for byte as kube-apiserver's
// protobuf serializer writes it, and reads back to the object a JSON round trip gives.
func TestCodecWritesKubesProtobufBytes(t *testing.T) {
	kube := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	for _, tc := range codecSamples() {
		t.Run(tc.plural, func(t *testing.T) {
			res := builtinResource(t, tc.group, tc.plural)
			codec := Codec(res)
			data, err := codec.Encode(tc.obj.DeepCopyObject())
			if err != nil {
				t.Fatal(err)
			}
			want := tc.obj.DeepCopyObject()
			want.GetObjectKind().SetGroupVersionKind(res.GroupVersionKind())
			var kubeBytes bytes.Buffer
			if err := kube.Encode(want, &kubeBytes); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, kubeBytes.Bytes()) {
				t.Fatalf("stored bytes differ from kube's protobuf serializer:\n got %q\nwant %q", data, kubeBytes.Bytes())
			}

			got := res.New()
			if err := codec.Decode(data, got); err != nil {
				t.Fatal(err)
			}
			if got.GetObjectKind().GroupVersionKind() != res.GroupVersionKind() {
				t.Errorf("decoded kind %v, want %v", got.GetObjectKind().GroupVersionKind(), res.GroupVersionKind())
			}
			// What clients see is JSON: the protobuf round trip must show them what a JSON
			// round trip shows.
			viaJSON := res.New()
			jsonBytes, _ := json.Marshal(want)
			if err := codec.Decode(jsonBytes, viaJSON); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(viaJSON)
			if !bytes.Equal(g, w) {
				t.Fatalf("protobuf round trip gives\n%s\nJSON round trip gives\n%s", g, w)
			}
			again, err := codec.Encode(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Fatal("re-encoding a decoded object changes its bytes; unchanged updates would be written")
			}
		})
	}
}

// TestCodecEncodesEveryBuiltinAsProtobuf: no built-in falls back to JSON unnoticed.
func TestCodecEncodesEveryBuiltinAsProtobuf(t *testing.T) {
	for _, res := range builtin.Resources() {
		obj := res.New()
		if _, ok := obj.(protoMessage); !ok {
			continue // kube has no protobuf for it either, so it stays JSON
		}
		data, err := Codec(res).Encode(obj)
		if err != nil {
			t.Errorf("%s: %v", res.Plural, err)
			continue
		}
		if !bytes.HasPrefix(data, protoMagic) {
			t.Errorf("%s/%s is stored as %q, want protobuf", res.Group, res.Plural, data)
		}
	}
}

// TestCodecReadsJSONStoredByEarlierVersions: objects written as JSON before the switch to
// protobuf stay readable.
func TestCodecReadsJSONStoredByEarlierVersions(t *testing.T) {
	res := builtinResource(t, "", "configmaps")
	got := res.New()
	if err := Codec(res).Decode([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"old"},"data":{"k":"v"}}`), got); err != nil {
		t.Fatal(err)
	}
	cm := got.(*corev1.ConfigMap)
	if cm.Name != "old" || cm.Data["k"] != "v" || cm.Kind != "ConfigMap" || cm.APIVersion != "v1" {
		t.Fatalf("decoded %+v", cm)
	}
}

func TestCodecRefusesBadProtobuf(t *testing.T) {
	res := builtinResource(t, "", "configmaps")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated envelope", append(append([]byte(nil), protoMagic...), 0x0a, 0x7f), "envelope"},
		{"compressed content", mustEnvelope(t, runtime.Unknown{ContentEncoding: "gzip"}), "unsupported"},
		{"foreign content type", mustEnvelope(t, runtime.Unknown{ContentType: "application/cbor"}), "unsupported"},
		{"garbage object", mustEnvelope(t, runtime.Unknown{Raw: []byte{0xff, 0xff, 0xff}}), "ConfigMap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Codec(res).Decode(tc.data, res.New())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func mustEnvelope(t *testing.T, u runtime.Unknown) []byte {
	t.Helper()
	b, err := u.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte(nil), protoMagic...), b...)
}

// BenchmarkCodecDecode compares decoding a small configmap (what the load benchmark writes,
// with its managed fields) from the two encodings the codec reads.
func BenchmarkCodecDecode(b *testing.B) {
	res := builtinResource(b, "", "configmaps")
	codec := Codec(res)
	sample := codecSamples()[0].obj
	jsonBytes, _ := json.Marshal(sample)
	protoBytes, err := codec.Encode(sample.DeepCopyObject())
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []struct {
		name string
		data []byte
	}{{"json", jsonBytes}, {"protobuf", protoBytes}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := codec.Decode(enc.data, res.New()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCodecEncode measures the encoding every write pays.
func BenchmarkCodecEncode(b *testing.B) {
	res := builtinResource(b, "", "configmaps")
	for _, c := range []struct {
		name  string
		codec storage.Codec
	}{{"protobuf", Codec(res)}, {"json", jsonCodecFor(res)}} {
		obj := codecSamples()[0].obj
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.codec.Encode(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// jsonCodecFor is the codec as a custom resource gets it: JSON.
func jsonCodecFor(res *registry.Resource) storage.Codec {
	gvk := res.GroupVersionKind()
	return storage.Codec{Encode: func(obj runtime.Object) ([]byte, error) {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		return json.Marshal(obj)
	}}
}
