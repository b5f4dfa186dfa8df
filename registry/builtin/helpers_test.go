package builtin

import (
	"context"
	"fmt"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

// lookup returns the descriptor of group/plural from a fresh Resources().
func lookup(t testing.TB, group, plural string) *registry.Resource {
	t.Helper()
	for _, r := range Resources() {
		if r.Group == group && r.Plural == plural {
			return r
		}
	}
	t.Fatalf("no resource %s/%s", group, plural)
	return nil
}

// errKeys renders errors as "type path", sorted, so cases compare what a client sees.
func errKeys(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%s %s", string(e.Type), e.Field))
	}
	sort.Strings(out)
	return out
}

// create runs the create path of the store on obj: PrepareForCreate, then Validate.
func create(r *registry.Resource, obj runtime.Object) field.ErrorList {
	ctx := context.Background()
	r.Strategy.PrepareForCreate(ctx, obj)
	return r.Strategy.Validate(ctx, obj)
}

// stored creates obj and gives it what the store adds (resourceVersion), failing on errors.
func stored[T runtime.Object](t testing.TB, r *registry.Resource, obj T) T {
	t.Helper()
	if errs := create(r, obj); len(errs) != 0 {
		t.Fatalf("creating %T: %v", obj, errs.ToAggregate())
	}
	m := any(obj).(metav1.Object)
	m.SetResourceVersion("1")
	return obj
}

// update runs the update path: PrepareForUpdate, then ValidateUpdate.
func update(r *registry.Resource, obj, old runtime.Object) field.ErrorList {
	ctx := context.Background()
	r.Strategy.PrepareForUpdate(ctx, obj, old)
	return r.Strategy.ValidateUpdate(ctx, obj, old)
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default"}
}

func podSpec(containers ...corev1.Container) corev1.PodSpec {
	return corev1.PodSpec{Containers: containers}
}

func container(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image}
}

func template(labels map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       podSpec(container("app", "nginx:1.25")),
	}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
