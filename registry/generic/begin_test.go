package generic

import (
	"context"
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// beginLog is storage that begins its writes, logging the begins, the admissions and the
// finishes in the order the store makes them.
type beginLog struct {
	storage.Interface
	log    *[]string
	refuse bool
}

func (b *beginLog) BeginCreate(_ context.Context, _ string, obj runtime.Object, dryRun bool) (FinishFunc, error) {
	return b.begin("create", obj, dryRun)
}

func (b *beginLog) BeginUpdate(_ context.Context, _ string, _, updated runtime.Object, dryRun bool) (FinishFunc, error) {
	return b.begin("update", updated, dryRun)
}

func (b *beginLog) begin(verb string, obj runtime.Object, dryRun bool) (FinishFunc, error) {
	a, _ := accessor(obj)
	// The begin comes after the strategy's preparation: the system fields are set.
	*b.log = append(*b.log, fmt.Sprintf("begin %s uid=%v dryRun=%v", verb, a.GetUID() != "", dryRun))
	if b.refuse {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind(), a.GetName(), nil)
	}
	a.SetAnnotations(map[string]string{"begun": verb})
	return func(_ context.Context, stored bool) {
		*b.log = append(*b.log, fmt.Sprintf("finish stored=%v", stored))
	}, nil
}

// TestWriteBeginnerOrder: a WriteBeginner's begin comes after the strategy's preparation and
// before validation and validating admission, which see what it filled; its finish is called
// once, told whether the object was stored.
func TestWriteBeginnerOrder(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	var log []string
	logged := &beginLog{Interface: cms.storage, log: &log}
	s := NewStore(cms.res, logged, cms.deps)
	admit := func(refuse bool) registry.Admission {
		return registry.Admission{Validate: func(_ context.Context, obj, _ runtime.Object) error {
			a, _ := accessor(obj)
			log = append(log, "admission begun="+a.GetAnnotations()["begun"])
			if refuse {
				return apierrors.NewForbidden(corev1.Resource("configmaps"), a.GetName(), errDenied)
			}
			return nil
		}}
	}
	dryRun := &metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	cases := []struct {
		name    string
		obj     *corev1.ConfigMap
		refuse  bool
		opts    *metav1.CreateOptions
		wantErr func(error) bool
		want    []string
	}{
		{"stored", configMap("a", nil), false, nil, nil,
			[]string{"begin create uid=true dryRun=false", "admission begun=create", "finish stored=true"}},
		{"invalid", configMap("b", map[string]string{"not a key": "x"}), false, nil, apierrors.IsInvalid,
			[]string{"begin create uid=true dryRun=false", "finish stored=false"}},
		{"refused by admission", configMap("c", nil), true, nil, apierrors.IsForbidden,
			[]string{"begin create uid=true dryRun=false", "admission begun=create", "finish stored=false"}},
		{"name taken", configMap("a", nil), false, nil, apierrors.IsAlreadyExists,
			[]string{"begin create uid=true dryRun=false", "admission begun=create", "finish stored=false"}},
		{"dry run", configMap("d", nil), false, dryRun, nil,
			[]string{"begin create uid=true dryRun=true", "admission begun=create", "finish stored=false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log = nil
			out, err := s.Create(context.Background(), "ns", tc.obj, admit(tc.refuse), tc.opts)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("create: %v", err)
			case tc.wantErr != nil && !tc.wantErr(err):
				t.Fatalf("create: got %v", err)
			case err == nil && out.(*corev1.ConfigMap).Annotations["begun"] != "create":
				t.Errorf("the answer lacks what the begin filled: %v", out.(*corev1.ConfigMap).Annotations)
			}
			if !slices.Equal(log, tc.want) {
				t.Errorf("order\n got %q\nwant %q", log, tc.want)
			}
		})
	}

	t.Run("begin refuses", func(t *testing.T) {
		log, logged.refuse = nil, true
		defer func() { logged.refuse = false }()
		if _, err := s.Create(context.Background(), "ns", configMap("e", nil), admit(false), nil); !apierrors.IsInvalid(err) {
			t.Fatalf("create: got %v, want the begin's 422", err)
		}
		if want := []string{"begin create uid=true dryRun=false"}; !slices.Equal(log, want) {
			t.Errorf("order\n got %q\nwant %q", log, want)
		}
	})

	t.Run("update", func(t *testing.T) {
		log = nil
		label := func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			cm := cur.DeepCopyObject().(*corev1.ConfigMap)
			cm.Labels = map[string]string{"v": "2"}
			return cm, nil
		}
		if _, _, err := s.Update(context.Background(), "ns", "a", "", label, admit(false), false, nil); err != nil {
			t.Fatalf("update: %v", err)
		}
		want := []string{"begin update uid=true dryRun=false", "admission begun=update", "finish stored=true"}
		if !slices.Equal(log, want) {
			t.Errorf("order\n got %q\nwant %q", log, want)
		}
	})

	t.Run("update that loses a race", func(t *testing.T) {
		cur, err := s.Get(context.Background(), "ns", "a", nil)
		if err != nil {
			t.Fatal(err)
		}
		pinned := cur.(*corev1.ConfigMap).ResourceVersion
		log = nil
		raced := false
		racing := registry.Admission{Validate: func(context.Context, runtime.Object, runtime.Object) error {
			log = append(log, "admission")
			if !raced {
				raced = true
				_, _, err := cms.Update(context.Background(), "ns", "a", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
					cm := cur.DeepCopyObject().(*corev1.ConfigMap)
					cm.Data = map[string]string{"raced": "yes"}
					return cm, nil
				}, registry.Admission{}, false, nil)
				return err
			}
			return nil
		}}
		pinnedUpdate := func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			cm := cur.DeepCopyObject().(*corev1.ConfigMap)
			cm.ResourceVersion = pinned
			cm.Labels = map[string]string{"v": "3"}
			return cm, nil
		}
		if _, _, err := s.Update(context.Background(), "ns", "a", "", pinnedUpdate, racing, false, nil); !apierrors.IsConflict(err) {
			t.Fatalf("update: got %v, want 409", err)
		}
		// The first try is finished (not stored) before the second begins; the second stops at
		// the resourceVersion check, before its begin.
		want := []string{"begin update uid=true dryRun=false", "admission", "finish stored=false"}
		if !slices.Equal(log, want) {
			t.Errorf("order\n got %q\nwant %q", log, want)
		}
	})

	t.Run("status update begins nothing", func(t *testing.T) {
		pods := env.pods(t)
		var podLog []string
		ps := NewStore(pods.res, &beginLog{Interface: pods.storage, log: &podLog}, pods.deps)
		if _, err := ps.Create(context.Background(), "ns", pod("p"), registry.Admission{}, nil); err != nil {
			t.Fatalf("create pod: %v", err)
		}
		podLog = nil
		phase := func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			p := cur.DeepCopyObject().(*corev1.Pod)
			p.Status.Phase = corev1.PodRunning
			return p, nil
		}
		if _, _, err := ps.Update(context.Background(), "ns", "p", "status", phase, registry.Admission{}, false, nil); err != nil {
			t.Fatalf("status update: %v", err)
		}
		if len(podLog) != 0 {
			t.Errorf("a status update began %q", podLog)
		}
	})
}
