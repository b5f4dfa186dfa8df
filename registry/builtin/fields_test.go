package builtin

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSelectableFields(t *testing.T) {
	cases := []struct {
		group, plural string
		obj           runtime.Object
		selector      string
		match         bool
	}{
		{"", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
			"spec.nodeName=n1,status.phase=Running,metadata.namespace=default", true},
		{"", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{NodeName: "n1"}}, "spec.nodeName=n2", false},
		{"", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{HostNetwork: true}}, "spec.hostNetwork=true", true},
		{"", "secrets", &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeTLS}, "type=kubernetes.io/tls", true},
		{"", "namespaces", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
			"status.phase=Active,metadata.name=x", true},
		{"", "events", &corev1.Event{ObjectMeta: meta("e"), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web"}, ReportingController: "kubelet"},
			"involvedObject.kind=Pod,involvedObject.name=web,source=kubelet", true},
		{"", "nodes", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}, "spec.unschedulable=false", true},
		{"batch", "jobs", &batchv1.Job{ObjectMeta: meta("j"), Status: batchv1.JobStatus{Succeeded: 2}}, "status.successful=2", true},
	}
	for _, tc := range cases {
		t.Run(tc.plural+" "+tc.selector, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			sel, err := fields.ParseSelector(tc.selector)
			if err != nil {
				t.Fatal(err)
			}
			set := r.SelectableFields(tc.obj)
			for _, req := range sel.Requirements() {
				if _, ok := set[req.Field]; !ok {
					t.Errorf("field %s is not selectable", req.Field)
				}
			}
			if got := sel.Matches(set); got != tc.match {
				t.Errorf("match = %v, want %v (fields %v)", got, tc.match, set)
			}
		})
	}
}
