package generic

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
)

func TestNamespaceDeletionAndFinalize(t *testing.T) {
	env := newEnv(t)
	nss := env.namespaces(t)
	created := env.createNamespace(t, "doomed")
	if created.Status.Phase != corev1.NamespaceActive || len(created.Spec.Finalizers) != 1 || created.Spec.Finalizers[0] != corev1.FinalizerKubernetes {
		t.Fatalf("new namespace: phase %q finalizers %v", created.Status.Phase, created.Spec.Finalizers)
	}
	out, deleted, err := nss.Delete(context.Background(), "", "doomed", registry.Admission{}, nil)
	if err != nil || deleted {
		t.Fatalf("first delete: deleted %v err %v", deleted, err)
	}
	ns := out.(*corev1.Namespace)
	if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("after delete: phase %q deletionTimestamp %v", ns.Status.Phase, ns.DeletionTimestamp)
	}
	// Deleting again while the kubernetes finalizer is there answers the namespace, unchanged.
	again, deleted, err := nss.Delete(context.Background(), "", "doomed", registry.Admission{}, nil)
	if err != nil || deleted || again.(*corev1.Namespace).ResourceVersion != ns.ResourceVersion {
		t.Fatalf("second delete: deleted %v err %v", deleted, err)
	}
	// A main-resource update cannot drop the spec finalizer...
	next := ns.DeepCopy()
	next.Spec.Finalizers = nil
	out, _, err = nss.Update(context.Background(), "", "doomed", "", replaceWith(next), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.(*corev1.Namespace).Spec.Finalizers) != 1 {
		t.Fatalf("main update changed spec.finalizers: %v", out.(*corev1.Namespace).Spec.Finalizers)
	}
	// ...finalize can, and the namespace then goes.
	finalize := env.entry(t, "", "namespaces").Subresources["finalize"]
	if finalize == nil {
		t.Fatal("no finalize subresource store")
	}
	if _, _, err := finalize.Update(context.Background(), "", "doomed", "finalize", replaceWith(next), registry.Admission{}, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := nss.Get(context.Background(), "", "doomed", nil); !apierrors.IsNotFound(err) {
		t.Errorf("finalized namespace still exists: %v", err)
	}
}

func TestScaleSubresource(t *testing.T) {
	env := newEnv(t)
	deps := env.deployments(t)
	mustCreate(t, deps, "ns", deployment("web", 2))
	scales := env.entry(t, "apps", "deployments").Subresources["scale"]
	if scales == nil {
		t.Fatal("no scale subresource store")
	}
	obj, err := scales.Get(context.Background(), "ns", "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	scale := obj.(*autoscalingv1.Scale)
	if scale.Spec.Replicas != 2 || scale.Status.Selector != "app=web" || scale.Kind != "Scale" || scale.APIVersion != "autoscaling/v1" {
		t.Fatalf("scale %+v", scale)
	}

	setReplicas := func(n int32, rv string) registry.UpdateFunc {
		return func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			s := cur.(*autoscalingv1.Scale).DeepCopy()
			s.Spec.Replicas = n
			s.ResourceVersion = rv
			return s, nil
		}
	}
	out, _, err := scales.Update(context.Background(), "ns", "web", "scale", setReplicas(5, scale.ResourceVersion), registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.(*autoscalingv1.Scale).Spec.Replicas != 5 {
		t.Errorf("scale answered %+v", out)
	}
	d := getDeployment(t, deps, "web")
	if *d.Spec.Replicas != 5 || d.Generation != 2 {
		t.Errorf("deployment after scale: replicas %d generation %d, want 5 and 2", *d.Spec.Replicas, d.Generation)
	}

	cases := []struct {
		name   string
		target string
		update registry.UpdateFunc
		code   int32
		reason metav1.StatusReason
	}{
		{"stale resourceVersion", "web", setReplicas(1, scale.ResourceVersion), 409, metav1.StatusReasonConflict},
		{"negative replicas", "web", setReplicas(-1, ""), 422, metav1.StatusReasonInvalid},
		{"missing parent", "nope", setReplicas(1, ""), 404, metav1.StatusReasonNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := scales.Update(context.Background(), "ns", tc.target, "scale", tc.update, registry.Admission{}, false, nil)
			wantStatus(t, err, tc.code, tc.reason)
		})
	}
	_, err = scales.List(context.Background(), "ns", nil)
	wantStatus(t, err, 405, metav1.StatusReasonMethodNotAllowed)
	if d := getDeployment(t, deps, "web"); *d.Spec.Replicas != 5 {
		t.Errorf("failed scale updates changed replicas to %d", *d.Spec.Replicas)
	}
}

func TestBindingSubresource(t *testing.T) {
	env := newEnv(t)
	mustCreate(t, env.pods(t), "ns", pod("p"))
	bindings := env.entry(t, "", "pods").Subresources["binding"]
	if bindings == nil {
		t.Fatal("no binding subresource store")
	}
	bind := func(podName, node string) error {
		_, err := bindings.Create(context.Background(), "ns", &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: podName},
			Target:     corev1.ObjectReference{Kind: "Node", Name: node},
		}, registry.Admission{}, nil)
		return err
	}
	if err := bind("p", "node-1"); err != nil {
		t.Fatal(err)
	}
	obj, err := env.pods(t).Get(context.Background(), "ns", "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName != "node-1" {
		t.Errorf("nodeName %q, want node-1", p.Spec.NodeName)
	}
	scheduled := false
	for _, c := range p.Status.Conditions {
		scheduled = scheduled || (c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue)
	}
	if !scheduled {
		t.Errorf("conditions %+v: want PodScheduled True", p.Status.Conditions)
	}
	cases := []struct {
		name, pod, node string
		code            int32
		reason          metav1.StatusReason
	}{
		{"already bound", "p", "node-2", 409, metav1.StatusReasonConflict},
		{"missing pod", "nope", "node-1", 404, metav1.StatusReasonNotFound},
		{"no target", "p", "", 422, metav1.StatusReasonInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, bind(tc.pod, tc.node), tc.code, tc.reason)
		})
	}
	_, err = bindings.Get(context.Background(), "ns", "p", nil)
	wantStatus(t, err, 405, metav1.StatusReasonMethodNotAllowed)
}

func TestScaleOfEveryScalableKind(t *testing.T) {
	env := newEnv(t)
	replicas := int32(3)
	labels := map[string]string{"app": "x"}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i:1"}}},
	}
	selector := &metav1.LabelSelector{MatchLabels: labels}
	cases := []struct {
		group, resource string
		obj             runtime.Object
	}{
		{"apps", "deployments", deployment("x", replicas)},
		{"apps", "replicasets", &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector, Template: template}}},
		{"apps", "statefulsets", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: appsv1.StatefulSetSpec{Replicas: &replicas, Selector: selector, Template: template}}},
		{"", "replicationcontrollers", &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: corev1.ReplicationControllerSpec{Replicas: &replicas, Selector: labels, Template: &template}}},
	}
	for _, tc := range cases {
		t.Run(tc.resource, func(t *testing.T) {
			e := env.entry(t, tc.group, tc.resource)
			mustCreate(t, e.Store, "ns", tc.obj)
			scales := e.Subresources["scale"]
			if scales == nil {
				t.Fatal("no scale store")
			}
			out, _, err := scales.Update(context.Background(), "ns", "x", "scale", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
				s := cur.(*autoscalingv1.Scale).DeepCopy()
				if s.Spec.Replicas != 3 || s.Status.Selector != "app=x" {
					t.Errorf("current scale %+v", s)
				}
				s.Spec.Replicas = 0
				return s, nil
			}, registry.Admission{}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.(*autoscalingv1.Scale).Spec.Replicas != 0 {
				t.Errorf("scale answered %+v", out)
			}
			got, err := scales.Get(context.Background(), "ns", "x", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.(*autoscalingv1.Scale).Spec.Replicas != 0 {
				t.Errorf("replicas after scaling to 0: %d", got.(*autoscalingv1.Scale).Spec.Replicas)
			}
		})
	}
}
