package rest

import (
	"encoding/json"
	"math/rand"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
)

// builtinScopes returns a scope per built-in resource, enough for its field managers, all
// sharing one handler.
func builtinScopes(tb testing.TB) []*scope {
	tb.Helper()
	reg := registry.New()
	err := generic.Install(reg, builtin.Resources(), generic.Deps{}, func(*registry.Resource) (storage.Interface, error) { return nil, nil })
	if err != nil {
		tb.Fatal(err)
	}
	h := NewHandler(reg, nil, Options{}).(*handler)
	var scopes []*scope
	for _, e := range reg.Entries() {
		if e.Resource == nil {
			continue
		}
		r := httptest.NewRequest("PUT", "/", nil)
		r.Header.Set("User-Agent", "tracking-test/v0")
		scopes = append(scopes, &scope{h: h, r: r, info: &request.Info{}, res: e.Resource, kind: e.Resource.GroupVersionKind(), newObj: e.Resource.New})
	}
	return scopes
}

// filler makes random objects that could have been decoded from a request: the types with a
// JSON form of their own hold values that form accepts, and no object has managed fields.
func filler(seed int64) *randfill.Filler {
	return randfill.NewWithSeed(seed).NilChance(0.3).NumElements(0, 3).MaxDepth(6).Funcs(
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Intn(2) == 0 {
				*v = intstr.FromInt32(c.Int31n(100))
			} else {
				*v = intstr.FromString(strconv.Itoa(c.Intn(100)) + "%")
			}
		},
		func(v *resource.Quantity, c randfill.Continue) {
			*v = *resource.NewQuantity(c.Int63n(1000), resource.DecimalSI)
		},
		func(v *metav1.Time, c randfill.Continue) { *v = metav1.Unix(c.Int63n(1<<31), 0) },
		func(v *metav1.MicroTime, c randfill.Continue) {
			*v = metav1.NewMicroTime(time.Unix(c.Int63n(1<<31), 0))
		},
		func(v *runtime.RawExtension, c randfill.Continue) {
			forms := []string{`{"a":1}`, `[1,2]`, `"s"`, `{}`}
			v.Raw = []byte(forms[c.Intn(len(forms))])
		},
		func(v *runtime.Object, c randfill.Continue) {},
		func(v *metav1.ObjectMeta, c randfill.Continue) {
			c.FillNoCustom(v)
			v.ManagedFields = nil
		},
	)
}

func randomObject(t *testing.T, s *scope, f *randfill.Filler, name string) runtime.Object {
	t.Helper()
	obj := s.newObj()
	f.Fill(obj)
	obj.GetObjectKind().SetGroupVersionKind(s.kind)
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	m.SetName(name)
	return obj
}

func managedFieldsWithoutTimes(t *testing.T, obj runtime.Object) []metav1.ManagedFieldsEntry {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := m.GetManagedFields()
	for i := range out {
		out[i].Time = nil
	}
	return out
}

// TestTrackingMatchesKube checks, over random objects of every built-in kind, that the field
// manager trackUpdate picks records the same managed fields as kube's, for a create and for an
// update that changes everything.
func TestTrackingMatchesKube(t *testing.T) {
	for _, s := range builtinScopes(t) {
		if _, ok := s.newObj().(*unstructured.Unstructured); ok {
			continue
		}
		t.Run(s.kind.String(), func(t *testing.T) {
			fms, err := s.h.fieldManagers.get(s)
			if err != nil {
				t.Fatal(err)
			}
			seed := rand.Int63()
			f := filler(seed)
			for i := range 20 {
				empty := s.newObj()
				empty.GetObjectKind().SetGroupVersionKind(s.kind)
				created := randomObject(t, s, f, "obj")
				want := fms.kube.UpdateNoErrors(empty.DeepCopyObject(), created.DeepCopyObject(), "creator")
				got := fms.forUpdate(empty, created).UpdateNoErrors(empty.DeepCopyObject(), created.DeepCopyObject(), "creator")
				live := want.DeepCopyObject()
				wantFields, gotFields := managedFieldsWithoutTimes(t, want), managedFieldsWithoutTimes(t, got)
				if !reflect.DeepEqual(gotFields, wantFields) {
					t.Fatalf("seed %d, create %d: tracking recorded\n%s\nkube\n%s", seed, i, dump(gotFields), dump(wantFields))
				}

				liveMeta, _ := meta.Accessor(live)
				liveMeta.SetUID(types.UID("uid-" + strconv.Itoa(i)))
				next := randomObject(t, s, f, "obj")
				nextMeta, _ := meta.Accessor(next)
				nextMeta.SetUID(liveMeta.GetUID())
				if i%2 == 0 {
					// client-go sends back the managed fields it read
					nextMeta.SetManagedFields(liveMeta.GetManagedFields())
				}
				want = fms.kube.UpdateNoErrors(live.DeepCopyObject(), next.DeepCopyObject(), "updater")
				got = fms.forUpdate(live, next).UpdateNoErrors(live.DeepCopyObject(), next.DeepCopyObject(), "updater")
				wantFields, gotFields = managedFieldsWithoutTimes(t, want), managedFieldsWithoutTimes(t, got)
				if !reflect.DeepEqual(gotFields, wantFields) {
					t.Fatalf("seed %d, update %d: tracking recorded\n%s\nkube\n%s", seed, i, dump(gotFields), dump(wantFields))
				}
			}
		})
	}
}

// TestTrackingMatchesKubeOnOwnedManagedFields checks writes whose managed fields claim
// metadata.managedFields itself (only a client that writes managedFields can do that): kube
// drops the claim on the next update, so trackUpdate must not leave the managed fields out.
func TestTrackingMatchesKubeOnOwnedManagedFields(t *testing.T) {
	s := configMapScope(t)
	fms, err := s.h.fieldManagers.get(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`{"f:data":{},"f:metadata":{"f:managedFields":{}}}`, `{"f:data":{},"f:metadata":{"f:managed\u0046ields":{}}}`} {
		live := benchConfigMap(0)
		live.UID = "u"
		live.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "writer", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(raw)}}}
		next := benchConfigMap(1)
		next.UID = "u"
		want := fms.kube.UpdateNoErrors(live.DeepCopy(), next.DeepCopy(), "m")
		got := fms.forUpdate(live, next).UpdateNoErrors(live.DeepCopy(), next.DeepCopy(), "m")
		wantFields, gotFields := managedFieldsWithoutTimes(t, want), managedFieldsWithoutTimes(t, got)
		if !reflect.DeepEqual(gotFields, wantFields) {
			t.Fatalf("%s: trackUpdate's manager recorded\n%s\nkube\n%s", raw, dump(gotFields), dump(wantFields))
		}
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestTrackingSkipsValidation pins which kinds the tracking converter converts without
// validating: configmaps and deployments do; controller revisions (a RawExtension holds any
// JSON) and pods (status.containerStatuses is an atomic list whose items hold volumeMounts, a
// list keyed by mountPath) do not.
func TestTrackingSkipsValidation(t *testing.T) {
	want := map[string]bool{"ConfigMap": true, "Deployment": true, "ControllerRevision": false, "Pod": false}
	for _, s := range builtinScopes(t) {
		w, ok := want[s.kind.Kind]
		if !ok {
			continue
		}
		delete(want, s.kind.Kind)
		if _, err := s.h.fieldManagers.get(s); err != nil {
			t.Fatal(err)
		}
		tc, err := newTrackingConverter(s.h.fieldManagers.converter, s.kind, s.newObj)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := tc.(*trackingConverter)
		if !ok {
			t.Fatalf("%s: kube's converter, want a trackingConverter", s.kind)
		}
		if c.unvalidated != w {
			t.Errorf("%s: unvalidated %v, want %v", s.kind, c.unvalidated, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("kinds not served: %v", want)
	}
}

func TestManagedFieldsPlain(t *testing.T) {
	entry := func(raw string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: "m", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(raw)}}
	}
	for _, tc := range []struct {
		name    string
		entries []metav1.ManagedFieldsEntry
		want    bool
	}{
		{"none", nil, true},
		{"data", []metav1.ManagedFieldsEntry{entry(`{"f:data":{".":{},"f:k":{}}}`)}, true},
		{"no fields", []metav1.ManagedFieldsEntry{{Manager: "m"}}, true},
		{"owns managedFields", []metav1.ManagedFieldsEntry{entry(`{"f:data":{}}`), entry(`{"f:metadata":{"f:managedFields":{}}}`)}, false},
		{"escaped name", []metav1.ManagedFieldsEntry{entry(`{"f:metadata":{"f:managed\u0046ields":{}}}`)}, false},
		{"not an object", []metav1.ManagedFieldsEntry{entry(`[1]`)}, false},
		{"not JSON", []metav1.ManagedFieldsEntry{entry(`{"f:data":`)}, false},
		{"empty", []metav1.ManagedFieldsEntry{entry(``)}, false},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{ManagedFields: tc.entries}}
		if got := managedFieldsPlain(cm); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
