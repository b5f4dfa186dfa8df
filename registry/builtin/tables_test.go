package builtin

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fiveDaysAgo renders as "5d" in the AGE column.
var fiveDaysAgo = metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))

func columnNames(cols []metav1.TableColumnDefinition, priority int32) []string {
	var out []string
	for _, c := range cols {
		if c.Priority == priority {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestTableColumns(t *testing.T) {
	cases := []struct {
		group, plural string
		normal, wide  []string
	}{
		{"", "pods", []string{"Name", "Ready", "Status", "Restarts", "Age"}, []string{"IP", "Node", "Nominated Node", "Readiness Gates"}},
		{"apps", "deployments", []string{"Name", "Ready", "Up-to-date", "Available", "Age"}, []string{"Containers", "Images", "Selector"}},
		{"", "services", []string{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"}, []string{"Selector"}},
		{"", "configmaps", []string{"Name", "Data", "Age"}, nil},
		{"", "secrets", []string{"Name", "Type", "Data", "Age"}, nil},
		{"", "namespaces", []string{"Name", "Status", "Age"}, nil},
		{"", "serviceaccounts", []string{"Name", "Secrets", "Age"}, nil},
		{"", "events", []string{"Last Seen", "Type", "Reason", "Object", "Message"}, []string{"Subobject", "Source", "First Seen", "Count", "Name"}},
		{"batch", "jobs", []string{"Name", "Status", "Completions", "Duration", "Age"}, []string{"Containers", "Images", "Selector"}},
		{"batch", "cronjobs", []string{"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"}, []string{"Containers", "Images", "Selector"}},
		{"coordination.k8s.io", "leases", []string{"Name", "Holder", "Age"}, nil},
		{"apps", "controllerrevisions", []string{"Name", "Controller", "Revision", "Age"}, nil},
		{"rbac.authorization.k8s.io", "roles", []string{"Name", "Created At"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.plural, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			if got := columnNames(r.TableColumns, 0); !reflect.DeepEqual(got, tc.normal) {
				t.Errorf("columns = %q, want %q", got, tc.normal)
			}
			if got := columnNames(r.TableColumns, 1); !reflect.DeepEqual(got, tc.wide) {
				t.Errorf("wide columns = %q, want %q", got, tc.wide)
			}
		})
	}
}

func TestTableRows(t *testing.T) {
	started := true
	cases := []struct {
		name          string
		group, plural string
		obj           runtime.Object
		want          []interface{}
	}{
		{"running pod", "", "pods", &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: fiveDaysAgo},
			Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.5", ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", Ready: true, Started: &started, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "b", RestartCount: 2, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}},
			}},
		}, []interface{}{"web", "1/2", "CrashLoopBackOff", "2", "5d", "10.0.0.5", "node-1", "<none>", "<none>"}},
		{"pending pod", "", "pods", &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", CreationTimestamp: fiveDaysAgo},
			Spec:       podSpec(container("a", "x")),
			Status:     corev1.PodStatus{Phase: corev1.PodPending},
		}, []interface{}{"p", "0/1", "Pending", "0", "5d", "<none>", "<none>", "<none>", "<none>"}},
		{"terminating pod", "", "pods", &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", CreationTimestamp: fiveDaysAgo, DeletionTimestamp: &fiveDaysAgo},
			Spec:       podSpec(container("a", "x")),
			Status:     corev1.PodStatus{Phase: corev1.PodRunning},
		}, []interface{}{"p", "0/1", "Terminating", "0", "5d", "<none>", "<none>", "<none>", "<none>"}},
		{"deployment", "apps", "deployments", &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: fiveDaysAgo},
			Spec: appsv1.DeploymentSpec{Replicas: int32Ptr(3), Selector: &metav1.LabelSelector{MatchLabels: app},
				Template: corev1.PodTemplateSpec{Spec: podSpec(container("nginx", "nginx:1.25"), container("side", "busybox"))}},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2},
		}, []interface{}{"web", "2/3", int64(3), int64(2), "5d", "nginx,side", "nginx:1.25,busybox", "app=web"}},
		{"service", "", "services", &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: fiveDaysAgo},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.3.4", Selector: app,
				Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}}},
		}, []interface{}{"web", "NodePort", "10.96.3.4", "<none>", "80:30080/TCP,53/UDP", "5d", "app=web"}},
		{"pending load balancer", "", "services", &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "lb"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.9"},
		}, []interface{}{"lb", "LoadBalancer", "10.96.0.9", "<pending>", "<none>", "<unknown>", "<none>"}},
		{"configmap", "", "configmaps", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", CreationTimestamp: fiveDaysAgo},
			Data: map[string]string{"a": "1"}, BinaryData: map[string][]byte{"b": nil}},
			[]interface{}{"c", int64(2), "5d"}},
		{"event", "", "events", &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e.1"}, Type: "Normal", Reason: "Scheduled",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web"}, Message: "ok ", Source: corev1.EventSource{Component: "scheduler"},
			FirstTimestamp: fiveDaysAgo, LastTimestamp: fiveDaysAgo, Count: 1},
			[]interface{}{"5d", "Normal", "Scheduled", "pod/web", "", "scheduler", "ok", "5d", int64(1), "e.1"}},
		{"completed job", "batch", "jobs", &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "pi", CreationTimestamp: fiveDaysAgo},
			Spec: batchv1.JobSpec{Completions: int32Ptr(1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"job": "pi"}},
				Template: corev1.PodTemplateSpec{Spec: podSpec(container("pi", "perl"))}},
			Status: batchv1.JobStatus{Succeeded: 1, StartTime: &fiveDaysAgo, CompletionTime: &metav1.Time{Time: fiveDaysAgo.Add(90 * time.Second)},
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}},
		}, []interface{}{"pi", "Complete", "1/1", "90s", "5d", "pi", "perl", "job=pi"}},
		{"cron job", "batch", "cronjobs", &batchv1.CronJob{
			ObjectMeta: metav1.ObjectMeta{Name: "hello", CreationTimestamp: fiveDaysAgo},
			Spec:       batchv1.CronJobSpec{Schedule: "*/1 * * * *", Suspend: boolPtr(false)},
		}, []interface{}{"hello", "*/1 * * * *", "<none>", "False", int64(0), "<none>", "5d", "", "", "<none>"}},
		{"ready control plane node", "", "nodes", &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n1", CreationTimestamp: fiveDaysAgo, Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}},
			Spec:       corev1.NodeSpec{Unschedulable: true},
			Status: corev1.NodeStatus{
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
				Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.0.2"}},
				NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2"},
			},
		}, []interface{}{"n1", "Ready,SchedulingDisabled", "control-plane", "5d", "v1.37.2", "192.168.0.2", "<none>", "<unknown>", "<unknown>", "<unknown>"}},
		{"endpoints beyond three addresses", "", "endpoints", &corev1.Endpoints{
			ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: fiveDaysAgo},
			Subsets: []corev1.EndpointSubset{{
				Addresses: []corev1.EndpointAddress{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}, {IP: "10.0.0.3"}, {IP: "10.0.0.4"}},
				Ports:     []corev1.EndpointPort{{Port: 80}},
			}},
		}, []interface{}{"web", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...", "5d"}},
		{"namespace", "", "namespaces", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", CreationTimestamp: fiveDaysAgo},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
			[]interface{}{"team", "Active", "5d"}},
		{"secret", "", "secrets", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", CreationTimestamp: fiveDaysAgo},
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"a": nil, "b": nil}},
			[]interface{}{"s", "Opaque", int64(2), "5d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			got, err := r.TableRow(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("row = %#v\nwant  %#v", got, tc.want)
			}
		})
	}
	if _, err := lookup(t, "", "pods").TableRow(&corev1.Service{}); err == nil {
		t.Errorf("a pod row of a service must fail")
	}
}

func TestDefaultTable(t *testing.T) {
	cols, row := tableFor(gvr("example.com", "widgets"))
	if got := columnNames(cols, 0); !reflect.DeepEqual(got, []string{"Name", "Created At"}) {
		t.Errorf("default columns = %q, want Name, Created At", got)
	}
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	got, err := row(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "w", CreationTimestamp: created}})
	if err != nil || !reflect.DeepEqual(got, []interface{}{"w", "2026-01-02T03:04:05Z"}) {
		t.Errorf("default row = %v, %v", got, err)
	}
}
