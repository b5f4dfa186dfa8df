package etcd3

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
)

// etcdGets counts the single-key reads the store has made, from its metrics.
func etcdGets(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "etcd_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == "get" {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// setDataKey is an update that sets one data key, and refuses to run on an object whose "v" is
// not want (when want is set), as an update whose check depends on the current state.
func setDataKey(k, v, want string) storage.UpdateFunc {
	return func(obj runtime.Object) (runtime.Object, error) {
		cm := obj.(*corev1.ConfigMap)
		if want != "" && cm.Data["v"] != want {
			return nil, fmt.Errorf("v is %q, want %q", cm.Data["v"], want)
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[k] = v
		return cm, nil
	}
}

// TestGuaranteedUpdateFromSuggestion: a current suggestion saves the read; a stale one gives
// the outcome GuaranteedUpdate would, whichever check it would have failed.
func TestGuaranteedUpdateFromSuggestion(t *testing.T) {
	e := startEtcd(t, embedded.Config{})
	ctx := context.Background()
	rvOf := func(obj runtime.Object) string { return obj.(*corev1.ConfigMap).ResourceVersion }
	for i, tc := range []struct {
		name string
		// stale makes the suggestion one update behind etcd, which then holds v=2.
		stale         bool
		noSuggestion  bool
		noRV          bool
		preconditions func(current string) *storage.Preconditions
		update        storage.UpdateFunc
		wantData      map[string]string
		wantWrite     bool
		wantGets      uint64
	}{
		{name: "current suggestion", update: setDataKey("k", "x", ""), wantData: map[string]string{"v": "1", "k": "x"}, wantWrite: true},
		// Only etcd can say nothing changes, as in kube: one read, no write.
		{name: "current suggestion, nothing changes", update: setDataKey("v", "1", ""), wantData: map[string]string{"v": "1"}, wantGets: 1},
		{name: "no suggestion", noSuggestion: true, update: setDataKey("k", "x", ""), wantData: map[string]string{"v": "1", "k": "x"}, wantWrite: true, wantGets: 1},
		{name: "suggestion without resourceVersion", noRV: true, update: setDataKey("k", "x", ""), wantData: map[string]string{"v": "1", "k": "x"}, wantWrite: true, wantGets: 1},
		// The lost compare-and-swap brings the current state back with it: no extra read.
		{name: "stale suggestion", stale: true, update: setDataKey("k", "x", ""), wantData: map[string]string{"v": "2", "k": "x"}, wantWrite: true},
		{name: "stale suggestion, precondition holds on etcd's", stale: true,
			preconditions: func(current string) *storage.Preconditions { return &storage.Preconditions{ResourceVersion: &current} },
			update:        setDataKey("k", "x", ""), wantData: map[string]string{"v": "2", "k": "x"}, wantWrite: true, wantGets: 1},
		{name: "stale suggestion, update refuses it", stale: true, update: setDataKey("k", "x", "2"), wantData: map[string]string{"v": "2", "k": "x"}, wantWrite: true, wantGets: 1},
		{name: "stale suggestion, no change to it but a change to etcd's", stale: true, update: setDataKey("v", "1", ""), wantData: map[string]string{"v": "1"}, wantWrite: true, wantGets: 1},
		// The lost swap brings etcd's state, on which the update changes nothing.
		{name: "stale suggestion, no change to etcd's", stale: true, update: setDataKey("v", "2", ""), wantData: map[string]string{"v": "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			s := New(e.client, fmt.Sprintf("/suggest-%d", i), configMapCodec, WithMetrics(m))
			key := "/configmaps/ns/a"
			created, err := s.Create(ctx, key, configMap("ns", "a", nil, map[string]string{"v": "1"}))
			if err != nil {
				t.Fatal(err)
			}
			suggestion := created.DeepCopyObject()
			current := created
			if tc.stale {
				if current, err = s.GuaranteedUpdate(ctx, key, nil, false, setDataKey("v", "2", "")); err != nil {
					t.Fatal(err)
				}
			}
			if tc.noSuggestion {
				suggestion = nil
			} else if tc.noRV {
				suggestion.(*corev1.ConfigMap).ResourceVersion = ""
			}
			var pre *storage.Preconditions
			if tc.preconditions != nil {
				pre = tc.preconditions(rvOf(current))
			}
			untouched := fmt.Sprint(suggestion)
			gets := etcdGets(t, reg)
			out, err := s.GuaranteedUpdateFrom(ctx, key, pre, false, tc.update, suggestion)
			if err != nil {
				t.Fatal(err)
			}
			if got := etcdGets(t, reg) - gets; got != tc.wantGets {
				t.Errorf("read etcd %d times, want %d", got, tc.wantGets)
			}
			if fmt.Sprint(suggestion) != untouched {
				t.Errorf("the suggestion was changed: %v", suggestion)
			}
			stored, err := s.Get(ctx, key, storage.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := stored.(*corev1.ConfigMap).Data; fmt.Sprint(got) != fmt.Sprint(tc.wantData) {
				t.Errorf("etcd holds %v, want %v", got, tc.wantData)
			}
			if rvOf(out) != rvOf(stored) {
				t.Errorf("answered resourceVersion %s, etcd's is %s", rvOf(out), rvOf(stored))
			}
			if wrote := rvOf(stored) != rvOf(current); wrote != tc.wantWrite {
				t.Errorf("wrote: %v, want %v", wrote, tc.wantWrite)
			}
		})
	}
}

// TestGuaranteedUpdateFromSuggestionKeepsErrors: errors on etcd's own state still reach the
// caller, after the one read that confirms them.
func TestGuaranteedUpdateFromSuggestionKeepsErrors(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	key := "/configmaps/ns/b"
	created, err := s.Create(ctx, key, configMap("ns", "b", nil, map[string]string{"v": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	wrongRV := "1"
	_, err = s.GuaranteedUpdateFrom(ctx, key, &storage.Preconditions{ResourceVersion: &wrongRV}, false, setDataKey("k", "x", ""), created)
	if !storage.IsCode(err, storage.ErrCodeConflict) {
		t.Fatalf("stale precondition: %v, want a conflict", err)
	}
	refuse := errors.New("refused")
	_, err = s.GuaranteedUpdateFrom(ctx, key, nil, false, func(runtime.Object) (runtime.Object, error) { return nil, refuse }, created)
	if !errors.Is(err, refuse) {
		t.Fatalf("refusing update: %v, want its error", err)
	}
}
