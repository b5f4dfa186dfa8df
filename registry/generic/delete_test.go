package generic

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/registry"
)

func TestDeleteResult(t *testing.T) {
	env := newEnv(t)
	cm := mustCreate(t, env.configMaps(t), "ns", configMap("a", nil)).(*corev1.ConfigMap)
	out, deleted, err := env.configMaps(t).Delete(context.Background(), "ns", "a", registry.Admission{}, nil)
	if err != nil || !deleted {
		t.Fatalf("deleted %v err %v", deleted, err)
	}
	// kube's configmap store answers a Status naming the object (kind holds the resource).
	st, ok := out.(*metav1.Status)
	if !ok || st.Status != metav1.StatusSuccess || st.Details == nil || st.Details.Name != "a" || st.Details.Kind != "configmaps" || st.Details.UID != cm.UID {
		t.Errorf("configmap delete answered %#v", out)
	}
	// Pods answer the deleted pod.
	mustCreate(t, env.pods(t), "ns", pod("p"))
	out, deleted, err = env.pods(t).Delete(context.Background(), "ns", "p", registry.Admission{}, nil)
	if err != nil || !deleted {
		t.Fatalf("deleted %v err %v", deleted, err)
	}
	if p, ok := out.(*corev1.Pod); !ok || p.Name != "p" {
		t.Errorf("pod delete answered %#v", out)
	}
	if _, err := env.pods(t).Get(context.Background(), "ns", "p", nil); !apierrors.IsNotFound(err) {
		t.Errorf("pod still there: %v", err)
	}
	_, _, err = env.pods(t).Delete(context.Background(), "ns", "p", registry.Admission{}, nil)
	wantStatus(t, err, 404, metav1.StatusReasonNotFound)
}

func TestDeletePreconditions(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	cm := mustCreate(t, cms, "ns", configMap("a", nil)).(*corev1.ConfigMap)
	wrongUID := types.UID("other")
	wrongRV := "1"
	cases := []struct {
		name    string
		pre     metav1.Preconditions
		message string
	}{
		{"uid", metav1.Preconditions{UID: &wrongUID}, "the UID in the precondition (other) does not match the UID in record (" + string(cm.UID) + "). The object might have been deleted and then recreated"},
		{"resourceVersion", metav1.Preconditions{ResourceVersion: &wrongRV}, "the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (" + cm.ResourceVersion + "). The object might have been modified"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cms.Delete(context.Background(), "ns", "a", registry.Admission{}, &metav1.DeleteOptions{Preconditions: &tc.pre})
			st := wantStatus(t, err, 409, metav1.StatusReasonConflict)
			if !strings.HasSuffix(st.Message, tc.message) {
				t.Errorf("message %q, want it to end with %q", st.Message, tc.message)
			}
		})
	}
	if _, err := cms.Get(context.Background(), "ns", "a", nil); err != nil {
		t.Fatalf("failed preconditions deleted the object: %v", err)
	}
	rv := cm.ResourceVersion
	if _, deleted, err := cms.Delete(context.Background(), "ns", "a", registry.Admission{}, &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cm.UID, ResourceVersion: &rv}}); err != nil || !deleted {
		t.Errorf("delete with matching preconditions: deleted %v err %v", deleted, err)
	}
}

func TestFinalizersLifecycle(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	cm := configMap("held", nil)
	cm.Finalizers = []string{"test/a", "test/b"}
	mustCreate(t, cms, "ns", cm)

	out, deleted, err := cms.Delete(context.Background(), "ns", "held", registry.Admission{}, nil)
	if err != nil || deleted {
		t.Fatalf("delete of an object with finalizers: deleted %v err %v", deleted, err)
	}
	marked := out.(*corev1.ConfigMap)
	if marked.DeletionTimestamp == nil || marked.DeletionGracePeriodSeconds == nil || *marked.DeletionGracePeriodSeconds != 0 {
		t.Fatalf("marked object: deletionTimestamp %v grace %v", marked.DeletionTimestamp, marked.DeletionGracePeriodSeconds)
	}
	// A second delete changes nothing.
	again, deleted, err := cms.Delete(context.Background(), "ns", "held", registry.Admission{}, nil)
	if err != nil || deleted || again.(*corev1.ConfigMap).ResourceVersion != marked.ResourceVersion {
		t.Fatalf("second delete: deleted %v err %v", deleted, err)
	}
	// An update cannot clear the deletion timestamp.
	next := marked.DeepCopy()
	next.DeletionTimestamp = nil
	next.Finalizers = []string{"test/b"}
	out, _, err = cms.Update(context.Background(), "ns", "held", "", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := out.(*corev1.ConfigMap); c.DeletionTimestamp == nil || len(c.Finalizers) != 1 {
		t.Fatalf("after removing one finalizer: %+v", c.ObjectMeta)
	}
	// Removing the last finalizer deletes the object.
	next = out.(*corev1.ConfigMap).DeepCopy()
	next.Finalizers = nil
	if _, _, err := cms.Update(context.Background(), "ns", "held", "", replaceWith(next), registry.Admission{}, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(context.Background(), "ns", "held", nil); !apierrors.IsNotFound(err) {
		t.Errorf("object with its last finalizer removed still exists: %v", err)
	}
}

func TestDeletePropagationFinalizers(t *testing.T) {
	env := newEnv(t)
	orphan, background, foreground := metav1.DeletePropagationOrphan, metav1.DeletePropagationBackground, metav1.DeletePropagationForeground
	rcReplicas := int32(1)
	cases := []struct {
		name           string
		store          *Store
		obj            func(name string) registryObject
		policy         *metav1.DeletionPropagation
		wantFinalizers []string // nil: deleted at once
	}{
		{"deployment default is background", env.deployments(t), func(n string) registryObject { return deployment(n, 1) }, nil, nil},
		{"explicit background", env.deployments(t), func(n string) registryObject { return deployment(n, 1) }, &background, nil},
		{"orphan adds the orphan finalizer", env.deployments(t), func(n string) registryObject { return deployment(n, 1) }, &orphan, []string{metav1.FinalizerOrphanDependents}},
		{"foreground adds foregroundDeletion", env.deployments(t), func(n string) registryObject { return deployment(n, 1) }, &foreground, []string{metav1.FinalizerDeleteDependents}},
		{"v1 replicationcontrollers orphan by default", env.store(t, "", "replicationcontrollers"), func(n string) registryObject {
			return &corev1.ReplicationController{
				ObjectMeta: metav1.ObjectMeta{Name: n},
				Spec: corev1.ReplicationControllerSpec{Replicas: &rcReplicas, Selector: map[string]string{"a": "b"}, Template: &corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
				}},
			}
		}, nil, []string{metav1.FinalizerOrphanDependents}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "o" + string(rune('a'+i))
			mustCreate(t, tc.store, "ns", tc.obj(name))
			out, deleted, err := tc.store.Delete(context.Background(), "ns", name, registry.Admission{}, &metav1.DeleteOptions{PropagationPolicy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantFinalizers == nil {
				if !deleted {
					t.Fatalf("not deleted: %+v", out)
				}
				return
			}
			if deleted {
				t.Fatalf("deleted at once, want finalizers %v", tc.wantFinalizers)
			}
			if g := mustAccessor(out).GetGeneration(); g != 2 {
				t.Errorf("generation %d after the deletion mark, want 2", g)
			}
			got := mustAccessor(out).GetFinalizers()
			if strings.Join(got, ",") != strings.Join(tc.wantFinalizers, ",") {
				t.Errorf("finalizers %v, want %v", got, tc.wantFinalizers)
			}
		})
	}
}

// registryObject is a typed object with metadata, as the stores take.
type registryObject interface {
	runtime.Object
	metav1.Object
}

func TestDeleteDryRunStoresNothing(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	held := configMap("held", nil)
	held.Finalizers = []string{"test/hold"}
	mustCreate(t, cms, "ns", held)
	mustCreate(t, cms, "ns", configMap("plain", nil))
	dry := &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}
	for _, name := range []string{"held", "plain"} {
		before, _ := cms.Get(context.Background(), "ns", name, nil)
		if _, _, err := cms.Delete(context.Background(), "ns", name, registry.Admission{}, dry); err != nil {
			t.Fatal(err)
		}
		after, err := cms.Get(context.Background(), "ns", name, nil)
		if err != nil {
			t.Fatalf("dry-run delete removed %s: %v", name, err)
		}
		a, b := after.(*corev1.ConfigMap), before.(*corev1.ConfigMap)
		if a.ResourceVersion != b.ResourceVersion || a.DeletionTimestamp != nil {
			t.Errorf("dry-run delete changed %s: %+v", name, a.ObjectMeta)
		}
	}
	list, err := cms.DeleteCollection(context.Background(), "ns", registry.Admission{}, dry, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.(*corev1.ConfigMapList).Items); n != 2 {
		t.Errorf("dry-run deletecollection listed %d, want 2", n)
	}
	left, _ := cms.List(context.Background(), "ns", nil)
	if n := len(left.(*corev1.ConfigMapList).Items); n != 2 {
		t.Errorf("%d configmaps left after a dry-run deletecollection, want 2", n)
	}
}

func TestDeleteCollection(t *testing.T) {
	env := newEnv(t)
	env.createNamespace(t, "ns2")
	cms := env.configMaps(t)
	for _, n := range []string{"a", "b"} {
		cm := configMap(n, nil)
		cm.Labels = map[string]string{"del": "yes"}
		mustCreate(t, cms, "ns", cm)
	}
	held := configMap("c", nil)
	held.Labels = map[string]string{"del": "yes"}
	held.Finalizers = []string{"test/hold"}
	mustCreate(t, cms, "ns", held)
	mustCreate(t, cms, "ns", configMap("keep", nil))
	other := configMap("a", nil)
	other.Labels = map[string]string{"del": "yes"}
	mustCreate(t, cms, "ns2", other)

	out, err := cms.DeleteCollection(context.Background(), "ns", registry.Admission{}, nil, &metav1.ListOptions{LabelSelector: "del=yes"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.(*corev1.ConfigMapList).Items); n != 3 {
		t.Errorf("deletecollection answered %d items, want 3", n)
	}
	left, _ := cms.List(context.Background(), "", nil)
	var names []string
	for _, cm := range left.(*corev1.ConfigMapList).Items {
		names = append(names, cm.Namespace+"/"+cm.Name)
		if cm.Name == "c" && cm.DeletionTimestamp == nil {
			t.Errorf("c has finalizers and should be marked for deletion")
		}
	}
	if got := strings.Join(names, " "); got != "ns/c ns/keep ns2/a" {
		t.Errorf("left %q, want %q", got, "ns/c ns/keep ns2/a")
	}
}
