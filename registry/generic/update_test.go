package generic

import (
	"context"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"strconv"

	"github.com/kapi-dev/kapi/registry"
)

func getDeployment(t *testing.T, s *Store, name string) *appsv1.Deployment {
	t.Helper()
	obj, err := s.Get(context.Background(), "ns", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*appsv1.Deployment)
}

func TestUpdateGenerationAndPreservedFields(t *testing.T) {
	env := newEnv(t)
	deps := env.deployments(t)
	created := mustCreate(t, deps, "ns", deployment("d", 1)).(*appsv1.Deployment)

	cases := []struct {
		name           string
		change         func(d *appsv1.Deployment)
		wantGeneration int64
	}{
		{"labels only keep generation", func(d *appsv1.Deployment) { d.Labels = map[string]string{"x": "y"} }, 1},
		{"spec change bumps generation", func(d *appsv1.Deployment) { d.Spec.Replicas = ptrTo(int32(3)) }, 2},
		{"client-set generation is ignored", func(d *appsv1.Deployment) { d.Generation = 40 }, 2},
		{"client-cleared uid and creationTimestamp are restored", func(d *appsv1.Deployment) {
			d.UID = ""
			d.CreationTimestamp = metav1.Time{}
		}, 2},
		{"another spec change bumps again", func(d *appsv1.Deployment) { d.Spec.Paused = true }, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := getDeployment(t, deps, "d")
			next := cur.DeepCopy()
			tc.change(next)
			out, created2, err := deps.Update(context.Background(), "ns", "d", "", replaceWith(next), registry.Admission{}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*appsv1.Deployment)
			if created2 {
				t.Errorf("update reported a create")
			}
			if got.Generation != tc.wantGeneration {
				t.Errorf("generation %d, want %d", got.Generation, tc.wantGeneration)
			}
			if got.UID != created.UID || !got.CreationTimestamp.Equal(&created.CreationTimestamp) {
				t.Errorf("uid %q created %v, want %q %v", got.UID, got.CreationTimestamp, created.UID, created.CreationTimestamp)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestUpdateErrors(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	first := mustCreate(t, cms, "ns", configMap("a", map[string]string{"k": "1"})).(*corev1.ConfigMap)
	second := first.DeepCopy()
	second.Data["k"] = "2"
	if _, _, err := cms.Update(context.Background(), "ns", "a", "", replaceWith(second), registry.Admission{}, false, nil); err != nil {
		t.Fatal(err)
	}
	stale := first.DeepCopy()
	stale.Data["k"] = "stale"
	renamed := first.DeepCopy()
	renamed.Name = "b"
	renamed.ResourceVersion = ""
	otherUID := first.DeepCopy()
	otherUID.ResourceVersion = ""
	otherUID.UID = "changed"

	cases := []struct {
		name    string
		target  string
		obj     runtime.Object
		code    int32
		reason  metav1.StatusReason
		message string
	}{
		{"stale resourceVersion", "a", stale, 409, metav1.StatusReasonConflict,
			`Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again`},
		{"name differs from URL", "a", renamed, 400, metav1.StatusReasonBadRequest, "the name of the object (b) does not match the name on the URL (a)"},
		{"uid of another object", "a", otherUID, 409, metav1.StatusReasonConflict, "Precondition failed: UID in precondition: changed, UID in object meta: " + string(first.UID)},
		{"missing object, no create on update", "missing", configMap("missing", nil), 404, metav1.StatusReasonNotFound, `configmaps "missing" not found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cms.Update(context.Background(), "ns", tc.target, "", replaceWith(tc.obj), registry.Admission{}, true, nil)
			st := wantStatus(t, err, tc.code, tc.reason)
			if !strings.Contains(st.Message, tc.message) {
				t.Errorf("message %q does not contain %q", st.Message, tc.message)
			}
		})
	}
	cur, err := cms.Get(context.Background(), "ns", "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := cur.(*corev1.ConfigMap).Data["k"]; v != "2" {
		t.Errorf("failed updates changed the object: k=%q", v)
	}
}

func TestUpdateUnconditionalAndNoOp(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	created := mustCreate(t, cms, "ns", configMap("a", map[string]string{"k": "1"})).(*corev1.ConfigMap)

	// Without a resourceVersion the update applies to whatever is stored.
	next := configMap("a", map[string]string{"k": "2"})
	out, _, err := cms.Update(context.Background(), "ns", "a", "", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	updated := out.(*corev1.ConfigMap)
	if updated.ResourceVersion == created.ResourceVersion || updated.Data["k"] != "2" || updated.UID != created.UID {
		t.Fatalf("unconditional update: %+v", updated)
	}
	// Writing the same object again changes nothing, not even the resourceVersion.
	again, _, err := cms.Update(context.Background(), "ns", "a", "", replaceWith(updated), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rv := again.(*corev1.ConfigMap).ResourceVersion; rv != updated.ResourceVersion {
		t.Errorf("no-op update moved resourceVersion %s -> %s", updated.ResourceVersion, rv)
	}
}

func TestUpdateCreatesWhereKubeAllows(t *testing.T) {
	env := newEnv(t)
	events := env.store(t, "", "events")
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "ns"},
		Reason:         "Test",
	}
	out, created, err := events.Update(context.Background(), "ns", "e1", "", replaceWith(ev), registry.Admission{}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !created || out.(*corev1.Event).UID == "" {
		t.Errorf("created %v uid %q: want a created event with a uid", created, out.(*corev1.Event).UID)
	}
	// The same PUT into a missing namespace is refused like a create.
	elsewhere := ev.DeepCopy()
	elsewhere.InvolvedObject.Namespace = "nope"
	_, _, err = events.Update(context.Background(), "nope", "e1", "", replaceWith(elsewhere), registry.Admission{}, true, nil)
	wantStatus(t, err, 404, metav1.StatusReasonNotFound)
}

func TestStatusIsWrittenOnlyThroughStatus(t *testing.T) {
	env := newEnv(t)
	deps := env.deployments(t)
	mustCreate(t, deps, "ns", deployment("d", 1))

	// The main resource ignores status changes.
	cur := getDeployment(t, deps, "d")
	next := cur.DeepCopy()
	next.Status.Replicas = 9
	next.Spec.Replicas = ptrTo(int32(2))
	out, _, err := deps.Update(context.Background(), "ns", "d", "", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := out.(*appsv1.Deployment); d.Status.Replicas != 0 || *d.Spec.Replicas != 2 {
		t.Errorf("main update: status.replicas %d spec.replicas %d, want 0 and 2", d.Status.Replicas, *d.Spec.Replicas)
	}

	// The status subresource ignores spec changes and keeps generation.
	cur = getDeployment(t, deps, "d")
	next = cur.DeepCopy()
	next.Status.Replicas = 2
	next.Spec.Replicas = ptrTo(int32(7))
	out, _, err = deps.Update(context.Background(), "ns", "d", "status", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := out.(*appsv1.Deployment); d.Status.Replicas != 2 || *d.Spec.Replicas != 2 || d.Generation != cur.Generation {
		t.Errorf("status update: status.replicas %d spec.replicas %d generation %d, want 2, 2, %d", d.Status.Replicas, *d.Spec.Replicas, d.Generation, cur.Generation)
	}
}

func TestUpdateDryRunStoresNothing(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	created := mustCreate(t, cms, "ns", configMap("a", map[string]string{"k": "1"})).(*corev1.ConfigMap)
	next := created.DeepCopy()
	next.Data["k"] = "2"
	out, _, err := cms.Update(context.Background(), "ns", "a", "", replaceWith(next), registry.Admission{}, false, &metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if cm := out.(*corev1.ConfigMap); cm.Data["k"] != "2" || cm.ResourceVersion != created.ResourceVersion {
		t.Errorf("dry-run result %+v: want the new data at the old resourceVersion", cm)
	}
	cur, _ := cms.Get(context.Background(), "ns", "a", nil)
	if cm := cur.(*corev1.ConfigMap); cm.Data["k"] != "1" || cm.ResourceVersion != created.ResourceVersion {
		t.Errorf("dry-run update stored something: %+v", cm)
	}
}

// TestUpdateHammer: many writers, each reading the counter and writing it back incremented with
// the resourceVersion it read, retrying on conflict. No increment may be lost.
func TestUpdateHammer(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	mustCreate(t, cms, "ns", configMap("counter", map[string]string{"n": "0"}))
	const writers, increments = 50, 4
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; i < increments; i++ {
				for {
					cur, err := cms.Get(context.Background(), "ns", "counter", nil)
					if err != nil {
						errs <- err
						return
					}
					cm := cur.(*corev1.ConfigMap).DeepCopy()
					n, _ := strconv.Atoi(cm.Data["n"])
					cm.Data["n"] = strconv.Itoa(n + 1)
					_, _, err = cms.Update(context.Background(), "ns", "counter", "", replaceWith(cm), registry.Admission{}, false, nil)
					if apierrors.IsConflict(err) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cur, err := cms.Get(context.Background(), "ns", "counter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := cur.(*corev1.ConfigMap).Data["n"]; n != strconv.Itoa(writers*increments) {
		t.Errorf("counter %s, want %d: updates were lost", n, writers*increments)
	}
}
