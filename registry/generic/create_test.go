package generic

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
)

func TestCreateSetsSystemFields(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name           string
		store          *Store
		namespace      string
		obj            runtime.Object
		wantGeneration int64
		wantKind       string
	}{
		{"configmap has no generation", env.configMaps(t), "ns", configMap("a", nil), 0, "ConfigMap"},
		{"deployment starts at generation 1", env.deployments(t), "ns", deployment("d", 1), 1, "Deployment"},
		{"cluster-scoped namespace", env.namespaces(t), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, 0, "Namespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.store.Create(context.Background(), tc.namespace, tc.obj, registry.Admission{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := meta.Accessor(out)
			if created := a.GetCreationTimestamp(); a.GetUID() == "" || created.IsZero() || a.GetResourceVersion() == "" {
				t.Errorf("uid %q creationTimestamp %v resourceVersion %q: want all set", a.GetUID(), a.GetCreationTimestamp(), a.GetResourceVersion())
			}
			if a.GetGeneration() != tc.wantGeneration {
				t.Errorf("generation %d, want %d", a.GetGeneration(), tc.wantGeneration)
			}
			if a.GetNamespace() != tc.namespace {
				t.Errorf("namespace %q, want %q", a.GetNamespace(), tc.namespace)
			}
			if k := out.GetObjectKind().GroupVersionKind().Kind; k != tc.wantKind {
				t.Errorf("kind %q, want %q", k, tc.wantKind)
			}
			got, err := tc.store.Get(context.Background(), tc.namespace, a.GetName(), nil)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := meta.Accessor(got)
			if g.GetUID() != a.GetUID() || g.GetResourceVersion() != a.GetResourceVersion() || !g.GetCreationTimestamp().Time.Equal(a.GetCreationTimestamp().Time) {
				t.Errorf("stored object differs from the created one: %+v vs %+v", g, a)
			}
		})
	}
}

func TestCreateClearsClientSetFields(t *testing.T) {
	env := newEnv(t)
	d := deployment("d", 2)
	d.UID = "client-chosen"
	d.Generation = 7
	now := metav1.Now()
	d.DeletionTimestamp = &now
	d.Status.Replicas = 5
	out := mustCreate(t, env.deployments(t), "ns", d).(*appsv1.Deployment)
	if out.UID == "client-chosen" || out.Generation != 1 || out.DeletionTimestamp != nil || out.Status.Replicas != 0 {
		t.Errorf("create kept client-set fields: uid %q generation %d deletionTimestamp %v status %+v", out.UID, out.Generation, out.DeletionTimestamp, out.Status)
	}
}

func TestCreateGenerateName(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	cm := configMap("", nil)
	cm.GenerateName = "web-"
	out := mustCreate(t, cms, "ns", cm).(*corev1.ConfigMap)
	suffix, ok := strings.CutPrefix(out.Name, "web-")
	if !ok || len(suffix) != 5 {
		t.Fatalf("generated name %q, want web- and 5 characters", out.Name)
	}
	for _, c := range suffix {
		if !strings.ContainsRune(nameAlphabet, c) {
			t.Errorf("generated name %q has %q, outside kube's alphabet", out.Name, c)
		}
	}
}

func TestCreateGenerateNameRetriesCollisions(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	mustCreate(t, cms, "ns", configMap("taken", nil))

	// Two collisions, then a free name: the create succeeds with it.
	names := []string{"taken", "taken", "free"}
	cms.generateName = func(string) string { n := names[0]; names = names[1:]; return n }
	cm := configMap("", nil)
	cm.GenerateName = "x-"
	out := mustCreate(t, cms, "ns", cm)
	if name := out.(*corev1.ConfigMap).Name; name != "free" {
		t.Errorf("name %q, want free", name)
	}

	// A generator that only ever collides: kube's ServerTimeout (code 500), so clients retry.
	cms.generateName = func(string) string { return "taken" }
	_, err := cms.Create(context.Background(), "ns", cm, registry.Admission{}, nil)
	wantStatus(t, err, 500, metav1.StatusReasonServerTimeout)
}

func TestCreateErrors(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	mustCreate(t, cms, "ns", configMap("exists", nil))
	withRV := configMap("rv", nil)
	withRV.ResourceVersion = "5"
	otherNS := configMap("other", nil)
	otherNS.Namespace = "elsewhere"
	badKey := configMap("BAD_name", nil)

	cases := []struct {
		name      string
		namespace string
		obj       runtime.Object
		code      int32
		reason    metav1.StatusReason
		message   string
	}{
		{"no name", "ns", configMap("", nil), 422, metav1.StatusReasonInvalid, "name or generateName is required"},
		{"invalid name", "ns", badKey, 422, metav1.StatusReasonInvalid, "metadata.name: Invalid value"},
		{"namespace mismatch", "ns", otherNS, 400, metav1.StatusReasonBadRequest, "the namespace of the provided object does not match the namespace sent on the request"},
		{"missing namespace", "nope", configMap("x", nil), 404, metav1.StatusReasonNotFound, `namespaces "nope" not found`},
		{"resourceVersion set", "ns", withRV, 500, metav1.StatusReasonUnknown, "resourceVersion should not be set on objects to be created"},
		{"already exists", "ns", configMap("exists", nil), 409, metav1.StatusReasonAlreadyExists, `configmaps "exists" already exists`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Create(context.Background(), tc.namespace, tc.obj, registry.Admission{}, nil)
			st := wantStatus(t, err, tc.code, tc.reason)
			if !strings.Contains(st.Message, tc.message) {
				t.Errorf("message %q does not contain %q", st.Message, tc.message)
			}
		})
	}
	list, err := cms.List(context.Background(), "ns", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.(*corev1.ConfigMapList).Items); n != 1 {
		t.Errorf("%d configmaps stored after failed creates, want 1", n)
	}
}

func TestCreateRunsValidatingAdmissionAfterValidation(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	var seen []string
	deny := registry.Admission{Validate: func(_ context.Context, obj, old runtime.Object) error {
		cm := obj.(*corev1.ConfigMap)
		seen = append(seen, cm.Name)
		if cm.UID == "" {
			t.Errorf("admission saw an object without uid")
		}
		return apierrors.NewForbidden(corev1.Resource("configmaps"), cm.Name, errDenied)
	}}
	// An invalid object fails validation before admission sees it.
	if _, err := cms.Create(context.Background(), "ns", configMap("", nil), deny, nil); !apierrors.IsInvalid(err) {
		t.Fatalf("got %v, want Invalid", err)
	}
	_, err := cms.Create(context.Background(), "ns", configMap("denied", nil), deny, nil)
	wantStatus(t, err, 403, metav1.StatusReasonForbidden)
	if len(seen) != 1 || seen[0] != "denied" {
		t.Errorf("admission saw %v, want [denied]", seen)
	}
	if _, err := cms.Get(context.Background(), "ns", "denied", nil); !apierrors.IsNotFound(err) {
		t.Errorf("denied object was stored: %v", err)
	}
}

type deniedError struct{}

func (deniedError) Error() string { return "denied by test" }

var errDenied = deniedError{}

func TestCreateInTerminatingNamespace(t *testing.T) {
	env := newEnv(t)
	env.createNamespace(t, "going")
	cm := configMap("held", nil)
	cm.Finalizers = []string{"test/hold"}
	mustCreate(t, env.configMaps(t), "going", cm)
	if _, deleted, err := env.namespaces(t).Delete(context.Background(), "", "going", registry.Admission{}, nil); err != nil || deleted {
		t.Fatalf("deleting namespace: deleted %v err %v", deleted, err)
	}
	_, err := env.configMaps(t).Create(context.Background(), "going", configMap("late", nil), registry.Admission{}, nil)
	st := wantStatus(t, err, 403, metav1.StatusReasonForbidden)
	if st.Message != `configmaps "late" is forbidden: unable to create new content in namespace going because it is being terminated` {
		t.Errorf("message %q", st.Message)
	}
	if st.Details == nil || len(st.Details.Causes) != 1 || st.Details.Causes[0].Type != corev1.NamespaceTerminatingCause {
		t.Errorf("details %+v: want the NamespaceTerminating cause", st.Details)
	}
	// Updates in a terminating namespace are allowed: that is how finalizers get removed.
	cur, err := env.configMaps(t).Get(context.Background(), "going", "held", nil)
	if err != nil {
		t.Fatal(err)
	}
	cur.(*corev1.ConfigMap).Data = map[string]string{"k": "v"}
	if _, _, err := env.configMaps(t).Update(context.Background(), "going", "held", "", replaceWith(cur), registry.Admission{}, false, nil); err != nil {
		t.Errorf("update in a terminating namespace: %v", err)
	}
}

func TestCreateDryRunStoresNothing(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	out, err := cms.Create(context.Background(), "ns", configMap("dry", nil), registry.Admission{}, &metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if cm := out.(*corev1.ConfigMap); cm.UID == "" || cm.ResourceVersion != "" {
		t.Errorf("dry-run result uid %q resourceVersion %q: want a uid and no resourceVersion", cm.UID, cm.ResourceVersion)
	}
	if _, err := cms.Get(context.Background(), "ns", "dry", nil); !apierrors.IsNotFound(err) {
		t.Errorf("dry-run create stored the object: %v", err)
	}
	mustCreate(t, cms, "ns", configMap("wet", nil))
	_, err = cms.Create(context.Background(), "ns", configMap("wet", nil), registry.Admission{}, &metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	wantStatus(t, err, 409, metav1.StatusReasonAlreadyExists)
}

func TestCreateOverAnObjectBeingDeleted(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	held := configMap("held", nil)
	held.Finalizers = []string{"test/hold"}
	mustCreate(t, cms, "ns", held)
	if _, _, err := cms.Delete(context.Background(), "ns", "held", registry.Admission{}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := cms.Create(context.Background(), "ns", configMap("held", nil), registry.Admission{}, nil)
	st := wantStatus(t, err, 409, metav1.StatusReasonAlreadyExists)
	if want := `object is being deleted: configmaps "held" already exists`; st.Message != want {
		t.Errorf("message %q, want %q", st.Message, want)
	}
}

// TestCreateFillsNameAndUIDBeforeTheStrategy pins kube's order: the generated name and the uid
// exist when the strategy runs, so what the strategy derives from them agrees with metadata.
func TestCreateFillsNameAndUIDBeforeTheStrategy(t *testing.T) {
	env := newEnv(t)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "j"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox:1.36"}},
		}}},
	}
	out := mustCreate(t, env.store(t, "batch", "jobs"), "ns", job).(*batchv1.Job)
	if got := out.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"]; got != string(out.UID) {
		t.Errorf("job selector's controller-uid %q, metadata.uid %q", got, out.UID)
	}
	if got := out.Spec.Template.Labels["batch.kubernetes.io/controller-uid"]; got != string(out.UID) {
		t.Errorf("job template's controller-uid %q, metadata.uid %q", got, out.UID)
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "gen-"}}
	made := mustCreate(t, env.namespaces(t), "", ns).(*corev1.Namespace)
	if got := made.Labels["kubernetes.io/metadata.name"]; got != made.Name || got == "" {
		t.Errorf("generated namespace %q has kubernetes.io/metadata.name %q", made.Name, got)
	}
}
