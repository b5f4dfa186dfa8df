package builtin

import (
	"reflect"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var app = map[string]string{"app": "web"}

func TestValidateCreate(t *testing.T) {
	ptr := func(v int32) *int32 { return &v }
	cases := []struct {
		name          string
		group, plural string
		obj           runtime.Object
		want          []string
	}{
		{"valid pod", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "nginx"))}, nil},
		{"pod without image", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", ""))},
			[]string{"FieldValueRequired spec.containers[0].image"}},
		{"pod without containers", "", "pods", &corev1.Pod{ObjectMeta: meta("p")},
			[]string{"FieldValueRequired spec.containers"}},
		{"pod with duplicate container names", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "x"), container("a", "y"))},
			[]string{"FieldValueDuplicate spec.containers[1].name"}},
		{"pod with a bad container name", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("Bad_Name", "x"))},
			[]string{"FieldValueInvalid spec.containers[0].name"}},
		{"pod with bad ports", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(corev1.Container{
			Name: "a", Image: "x", Ports: []corev1.ContainerPort{
				{Name: "web", ContainerPort: 70000},
				{Name: "web", ContainerPort: 80, Protocol: "HTTP"},
			}})},
			[]string{"FieldValueDuplicate spec.containers[0].ports[1].name", "FieldValueInvalid spec.containers[0].ports[0].containerPort", "FieldValueNotSupported spec.containers[0].ports[1].protocol"}},
		{"pod mounting an unknown volume", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(corev1.Container{
			Name: "a", Image: "x", VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}})},
			[]string{"FieldValueNotFound spec.containers[0].volumeMounts[0].name"}},
		{"pod volume with two sources", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{
			Containers: []corev1.Container{container("a", "x")},
			Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{}, ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}}}},
			[]string{"FieldValueForbidden spec.volumes[0].configMap"}},
		{"pod probes without a handler or with liveness success above 1", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(corev1.Container{
			Name: "a", Image: "x",
			ReadinessProbe: &corev1.Probe{},
			LivenessProbe:  &corev1.Probe{SuccessThreshold: 2, ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}},
		})},
			[]string{"FieldValueInvalid spec.containers[0].livenessProbe.successThreshold", "FieldValueRequired spec.containers[0].readinessProbe"}},
		{"pod with bad tolerations", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{
			Containers: []corev1.Container{container("a", "x")},
			Tolerations: []corev1.Toleration{
				{Operator: corev1.TolerationOpEqual, Value: "v"},
				{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: int64Ptr(5)},
				{Key: "k", Operator: "Like"},
			}}},
			[]string{"FieldValueInvalid spec.tolerations[0].operator", "FieldValueInvalid spec.tolerations[1].effect", "FieldValueNotSupported spec.tolerations[2].operator"}},
		{"node with bad taints", "", "nodes", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{
			{Key: "k", Effect: corev1.TaintEffectNoSchedule},
			{Key: "k", Effect: corev1.TaintEffectNoSchedule},
			{Key: "j"},
		}}},
			[]string{"FieldValueDuplicate spec.taints[1]", "FieldValueRequired spec.taints[2].effect"}},
		{"pod with a bad restart policy", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{
			RestartPolicy: "Sometimes", Containers: []corev1.Container{container("a", "x")}}},
			[]string{"FieldValueNotSupported spec.restartPolicy"}},
		{"pod with an invalid name", "", "pods", &corev1.Pod{ObjectMeta: meta("Bad_Pod"), Spec: podSpec(container("a", "x"))},
			[]string{"FieldValueInvalid metadata.name"}},
		{"pod without namespace", "", "pods", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: podSpec(container("a", "x"))},
			[]string{"FieldValueRequired metadata.namespace"}},
		{"pod with a bad label", "", "pods", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "d", Labels: map[string]string{"a b": "c"}}, Spec: podSpec(container("a", "x"))},
			[]string{"FieldValueInvalid metadata.labels"}},
		{"pod requesting more than its limit", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(corev1.Container{
			Name: "a", Image: "x", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: mustQuantity("1")},
			}})},
			[]string{"FieldValueInvalid spec.containers[0].resources.requests[cpu]"}},
		{"namespace named like a subdomain", "", "namespaces", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}},
			[]string{"FieldValueInvalid metadata.name"}},
		{"namespaced field on a namespace", "", "namespaces", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "x"}},
			[]string{"FieldValueForbidden metadata.namespace"}},
		{"service named with a leading digit", "", "services", &corev1.Service{ObjectMeta: meta("1svc"), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}},
			[]string{"FieldValueInvalid metadata.name"}},
		{"service with bad ports", "", "services", &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 0}, {Port: 81}}}},
			[]string{"FieldValueInvalid spec.ports[0].port", "FieldValueInvalid spec.ports[0].targetPort", "FieldValueRequired spec.ports[0].name", "FieldValueRequired spec.ports[1].name"}},
		{"service with a malformed cluster IP", "", "services", &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.300", Ports: []corev1.ServicePort{{Port: 80}}}},
			[]string{"FieldValueInvalid spec.clusterIPs[0]"}},
		{"service without ports", "", "services", &corev1.Service{ObjectMeta: meta("s")},
			[]string{"FieldValueRequired spec.ports"}},
		{"configmap with a bad key", "", "configmaps", &corev1.ConfigMap{ObjectMeta: meta("c"), Data: map[string]string{"a b": "x", "ok.key": "y"}},
			[]string{"FieldValueInvalid data[a b]"}},
		{"tls secret without keys", "", "secrets", &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeTLS},
			[]string{"FieldValueRequired data[tls.crt]", "FieldValueRequired data[tls.key]"}},
		{"valid deployment", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)}}, nil},
		{"deployment whose selector misses its template", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}, Template: template(app)}},
			[]string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"deployment template with a bad label", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(map[string]string{"app": "web", "bad key!": "x"})}},
			[]string{"FieldValueInvalid spec.template.labels"}},
		{"stateful set mounting a claim template", "apps", "statefulsets", &appsv1.StatefulSet{ObjectMeta: meta("s"), Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: func() corev1.PodTemplateSpec {
				t := template(app)
				t.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
				return t
			}(),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}}}, nil},
		{"deployment without selector", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{Template: template(app)}},
			[]string{"FieldValueRequired spec.selector"}},
		{"deployment with an empty selector", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{}, Template: template(app)}},
			[]string{"FieldValueInvalid spec.selector"}},
		{"deployment with negative replicas", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Replicas: ptr(-1), Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)}},
			[]string{"FieldValueInvalid spec.replicas"}},
		{"deployment whose pods never restart", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: func() corev1.PodTemplateSpec {
				t := template(app)
				t.Spec.RestartPolicy = corev1.RestartPolicyNever
				return t
			}()}},
			[]string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"replica set without selector", "apps", "replicasets", &appsv1.ReplicaSet{ObjectMeta: meta("r"), Spec: appsv1.ReplicaSetSpec{Template: template(app)}},
			[]string{"FieldValueRequired spec.selector"}},
		{"stateful set with an empty selector", "apps", "statefulsets", &appsv1.StatefulSet{ObjectMeta: meta("s"), Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{}, Template: template(app)}},
			[]string{"FieldValueInvalid spec.selector"}},
		{"daemon set whose selector misses its template", "apps", "daemonsets", &appsv1.DaemonSet{ObjectMeta: meta("d"), Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"x": "y"}}, Template: template(app)}},
			[]string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"replication controller without selector or labels", "", "replicationcontrollers", &corev1.ReplicationController{ObjectMeta: meta("r"), Spec: corev1.ReplicationControllerSpec{
			Template: func() *corev1.PodTemplateSpec { t := template(nil); return &t }()}},
			[]string{"FieldValueRequired spec.selector"}},
		{"valid job", "batch", "jobs", &batchv1.Job{ObjectMeta: meta("j"), Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
			t := template(nil)
			t.Spec.RestartPolicy = corev1.RestartPolicyNever
			return t
		}()}}, nil},
		{"job whose pods restart always", "batch", "jobs", &batchv1.Job{ObjectMeta: meta("j"), Spec: batchv1.JobSpec{Template: template(nil)}},
			[]string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"cron job with a bad schedule", "batch", "cronjobs", &batchv1.CronJob{ObjectMeta: meta("c"), Spec: batchv1.CronJobSpec{
			Schedule: "* *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				t := template(nil)
				t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return t
			}()}}}},
			[]string{"FieldValueInvalid spec.schedule"}},
		{"cron job name too long for its jobs", "batch", "cronjobs", &batchv1.CronJob{ObjectMeta: meta("c23456789012345678901234567890123456789012345678901234"), Spec: batchv1.CronJobSpec{
			Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				t := template(nil)
				t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return t
			}()}}}},
			[]string{"FieldValueInvalid metadata.name"}},
		{"events.k8s.io event without its required fields", "events.k8s.io", "events", &eventsv1.Event{ObjectMeta: meta("e"), Type: "Normal"},
			[]string{"FieldValueRequired action", "FieldValueRequired eventTime", "FieldValueRequired reason", "FieldValueRequired reportingController", "FieldValueRequired reportingInstance"}},
		{"valid role binding to a user (apiGroup defaulted)", rbacv1.GroupName, "rolebindings", &rbacv1.RoleBinding{ObjectMeta: meta("b"),
			RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "jane"}, {Kind: "ServiceAccount", Name: "sa"}}}, nil},
		{"valid webhook configuration (defaults filled)", "admissionregistration.k8s.io", "validatingwebhookconfigurations", &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "w"}, Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: "check.example.com", SideEffects: sideEffects(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
				ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "d", Name: "s"}},
			}}}, nil},
		{"webhook missing what v1 requires", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", &admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "w"}, Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "short"}}},
			[]string{"FieldValueInvalid webhooks[0].name", "FieldValueRequired webhooks[0].admissionReviewVersions", "FieldValueRequired webhooks[0].clientConfig", "FieldValueRequired webhooks[0].sideEffects"}},
		{"pdb with both bounds", "policy", "poddisruptionbudgets", &policyv1.PodDisruptionBudget{ObjectMeta: meta("p"), Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: intOrStr(1), MaxUnavailable: intOrStr(1)}},
			[]string{"FieldValueInvalid spec"}},
		{"ingress with neither backend nor rules", "networking.k8s.io", "ingresses", &networkingv1.Ingress{ObjectMeta: meta("i")},
			[]string{"FieldValueInvalid spec.rules"}},
		{"ingress paths with bad types and backends", "networking.k8s.io", "ingresses", &networkingv1.Ingress{ObjectMeta: meta("i"), Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{Host: "foo.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{
					{Path: "/a", PathType: pathType("Regex"), Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "s", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
					{Path: "/b", PathType: pathType(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "s"}}},
				}}}}}}},
			[]string{"FieldValueInvalid spec.rules[0].http.paths[1].backend.service.port", "FieldValueNotSupported spec.rules[0].http.paths[0].pathType"}},
		{"network policy with a bad policy type", "networking.k8s.io", "networkpolicies", &networkingv1.NetworkPolicy{ObjectMeta: meta("n"),
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Sideways"}}},
			[]string{"FieldValueNotSupported spec.policyTypes[0]"}},
		{"endpoint slice with a bad address type", "discovery.k8s.io", "endpointslices", &discoveryv1.EndpointSlice{ObjectMeta: meta("e"), AddressType: "IPv5"},
			[]string{"FieldValueNotSupported addressType"}},
		{"lease of no duration", "coordination.k8s.io", "leases", &coordinationv1.Lease{ObjectMeta: meta("l"), Spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: int32Ptr(0)}},
			[]string{"FieldValueInvalid spec.leaseDurationSeconds"}},
		{"cron job in an unknown time zone", "batch", "cronjobs", &batchv1.CronJob{ObjectMeta: meta("c"), Spec: batchv1.CronJobSpec{
			Schedule: "0 * * * *", TimeZone: stringPtr("Mars/Olympus_Mons"), JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				t := template(nil)
				t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return t
			}()}}}},
			[]string{"FieldValueInvalid spec.timeZone"}},
		{"cron job in a known time zone", "batch", "cronjobs", &batchv1.CronJob{ObjectMeta: meta("c"), Spec: batchv1.CronJobSpec{
			Schedule: "0 * * * *", TimeZone: stringPtr("Europe/Skopje"), JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				t := template(nil)
				t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return t
			}()}}}}, nil},
		{"event about a node in the default namespace", "", "events", &corev1.Event{ObjectMeta: meta("n.1"), InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "n"}}, nil},
		{"event in another namespace than its object", "", "events", &corev1.Event{ObjectMeta: meta("p.1"), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "other"}},
			[]string{"FieldValueInvalid involvedObject.namespace"}},
		{"role rule without verbs", rbacv1.GroupName, "roles", &rbacv1.Role{ObjectMeta: meta("r"), Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}}}},
			[]string{"FieldValueRequired rules[0].verbs"}},
		{"rbac names may hold colons", rbacv1.GroupName, "clusterroles", &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:x"}}, nil},
		{"cluster role binding to a role", rbacv1.GroupName, "clusterrolebindings", &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa"}}},
			[]string{"FieldValueNotSupported roleRef.kind", "FieldValueRequired subjects[0].namespace"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			got := errKeys(create(r, tc.obj))
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	cases := []struct {
		name          string
		group, plural string
		old           runtime.Object
		change        func(obj runtime.Object)
		want          []string
	}{
		{"pod image change is allowed", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "nginx"))},
			func(o runtime.Object) { o.(*corev1.Pod).Spec.Containers[0].Image = "nginx:2" }, nil},
		{"pod container rename is forbidden", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "nginx"))},
			func(o runtime.Object) { o.(*corev1.Pod).Spec.Containers[0].Name = "b" }, []string{"FieldValueForbidden spec"}},
		{"pod container add is forbidden", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "nginx"))},
			func(o runtime.Object) {
				p := o.(*corev1.Pod)
				p.Spec.Containers = append(p.Spec.Containers, container("b", "x"))
			}, []string{"FieldValueForbidden spec.containers"}},
		{"pod toleration removal is forbidden", "", "pods", &corev1.Pod{ObjectMeta: meta("p"), Spec: corev1.PodSpec{
			Containers: []corev1.Container{container("a", "x")}, Tolerations: []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}}},
			func(o runtime.Object) { o.(*corev1.Pod).Spec.Tolerations = nil }, []string{"FieldValueForbidden spec.tolerations"}},
		{"renaming is forbidden", "", "configmaps", &corev1.ConfigMap{ObjectMeta: meta("c")},
			func(o runtime.Object) { o.(*corev1.ConfigMap).Name = "d" }, []string{"FieldValueInvalid metadata.name"}},
		{"an update needs a resourceVersion", "", "configmaps", &corev1.ConfigMap{ObjectMeta: meta("c")},
			func(o runtime.Object) { o.(*corev1.ConfigMap).ResourceVersion = "" }, []string{"FieldValueInvalid metadata.resourceVersion"}},
		{"immutable configmap data", "", "configmaps", &corev1.ConfigMap{ObjectMeta: meta("c"), Immutable: boolPtr(true), Data: map[string]string{"a": "1"}},
			func(o runtime.Object) { o.(*corev1.ConfigMap).Data["a"] = "2" }, []string{"FieldValueForbidden data"}},
		{"secret type is immutable", "", "secrets", &corev1.Secret{ObjectMeta: meta("s")},
			func(o runtime.Object) {
				s := o.(*corev1.Secret)
				s.Type = corev1.SecretTypeBasicAuth
				s.Data = map[string][]byte{"username": []byte("u")}
			}, []string{"FieldValueInvalid type"}},
		{"deployment selector is immutable", "apps", "deployments", &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(map[string]string{"app": "web", "v": "1"})}},
			func(o runtime.Object) {
				o.(*appsv1.Deployment).Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"v": "1"}}
			}, []string{"FieldValueInvalid spec.selector"}},
		{"stateful set service name is immutable", "apps", "statefulsets", &appsv1.StatefulSet{ObjectMeta: meta("s"), Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)}},
			func(o runtime.Object) { o.(*appsv1.StatefulSet).Spec.ServiceName = "other" }, []string{"FieldValueForbidden spec"}},
		{"stateful set replicas may change", "apps", "statefulsets", &appsv1.StatefulSet{ObjectMeta: meta("s"), Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)}},
			func(o runtime.Object) { o.(*appsv1.StatefulSet).Spec.Replicas = int32Ptr(5) }, nil},
		{"service cluster IP may not change", "", "services", &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Port: 80}}}},
			func(o runtime.Object) { o.(*corev1.Service).Spec.ClusterIP = "10.96.0.77" }, []string{"FieldValueInvalid spec.clusterIPs[0]"}},
		{"service update may leave out the cluster IP", "", "services", &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Port: 80}}}},
			func(o runtime.Object) {
				s := o.(*corev1.Service)
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
			}, nil},
		{"job template is immutable", "batch", "jobs", &batchv1.Job{ObjectMeta: meta("j"), Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
			t := template(nil)
			t.Spec.RestartPolicy = corev1.RestartPolicyNever
			return t
		}()}},
			func(o runtime.Object) { o.(*batchv1.Job).Spec.Template.Spec.Containers[0].Image = "other" }, []string{"FieldValueInvalid spec.template"}},
		{"role binding roleRef is immutable", rbacv1.GroupName, "rolebindings", &rbacv1.RoleBinding{ObjectMeta: meta("b"), RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}},
			func(o runtime.Object) { o.(*rbacv1.RoleBinding).RoleRef.Name = "other" }, []string{"FieldValueInvalid roleRef"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			old := stored(t, r, tc.old)
			obj := old.DeepCopyObject()
			tc.change(obj)
			got := errKeys(update(r, obj, old))
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
		})
	}
}

func boolPtr(b bool) *bool { return &b }

func sideEffects(c admissionregistrationv1.SideEffectClass) *admissionregistrationv1.SideEffectClass {
	return &c
}

func intOrStr(i int32) *intstr.IntOrString {
	v := intstr.FromInt32(i)
	return &v
}

func stringPtr(s string) *string { return &s }

func int64Ptr(v int64) *int64 { return &v }

func pathType(p networkingv1.PathType) *networkingv1.PathType { return &p }
