package openapi

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
)

// TestSchemasForServerSideApply builds server-side apply's type converter from Schemas and
// checks that a Deployment's containers are an associative list keyed by name (from the merge
// key), which is what lets two managers own different containers.
func TestSchemasForServerSideApply(t *testing.T) {
	var entries []*registry.Entry
	for _, r := range builtin.Resources() {
		entries = append(entries, &registry.Entry{Resource: r})
	}
	converter, err := managedfields.NewTypeConverter(Schemas(entries), false)
	if err != nil {
		t.Fatal(err)
	}
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "nginx"}},
		}}},
	}
	typed, err := converter.ObjectToTyped(dep)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := typed.ToFieldSet()
	if err != nil {
		t.Fatal(err)
	}
	if s := fields.String(); !strings.Contains(s, `.spec.template.spec.containers[name="c"].image`) {
		t.Errorf("containers are not keyed by name in the field set:\n%s", s)
	}
}
