package builtin

import (
	"context"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestPodDefaultsAndStatusOnCreate(t *testing.T) {
	r := lookup(t, "", "pods")
	pod := &corev1.Pod{
		ObjectMeta: meta("p"),
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "a", Image: "nginx",
			Ports:          []corev1.ContainerPort{{ContainerPort: 80}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "1.2.3.4"},
	}
	stored(t, r, pod)
	spec := pod.Spec
	c := spec.Containers[0]
	checks := []struct {
		field     string
		got, want interface{}
	}{
		{"restartPolicy", spec.RestartPolicy, corev1.RestartPolicyAlways},
		{"dnsPolicy", spec.DNSPolicy, corev1.DNSClusterFirst},
		{"schedulerName", spec.SchedulerName, "default-scheduler"},
		{"terminationGracePeriodSeconds", *spec.TerminationGracePeriodSeconds, int64(30)},
		{"securityContext", *spec.SecurityContext, corev1.PodSecurityContext{}},
		{"enableServiceLinks", *spec.EnableServiceLinks, true},
		{"terminationMessagePath", c.TerminationMessagePath, "/dev/termination-log"},
		{"terminationMessagePolicy", c.TerminationMessagePolicy, corev1.TerminationMessageReadFile},
		{"imagePullPolicy", c.ImagePullPolicy, corev1.PullAlways},
		{"ports[0].protocol", c.Ports[0].Protocol, corev1.ProtocolTCP},
		{"readinessProbe.periodSeconds", c.ReadinessProbe.PeriodSeconds, int32(10)},
		{"readinessProbe.httpGet.scheme", c.ReadinessProbe.HTTPGet.Scheme, corev1.URISchemeHTTP},
		{"status", pod.Status, corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort}},
		{"generation", pod.Generation, int64(1)},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.field, ch.got, ch.want)
		}
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"nginx":                      corev1.PullAlways,
		"nginx:latest":               corev1.PullAlways,
		"nginx:1.25":                 corev1.PullIfNotPresent,
		"localhost:5000/nginx":       corev1.PullAlways,
		"localhost:5000/nginx:1.0":   corev1.PullIfNotPresent,
		"nginx@sha256:0123456789abc": corev1.PullIfNotPresent,
		"nginx:latest@sha256:0123":   corev1.PullAlways,
	} {
		if got := defaultPullPolicy(image); got != want {
			t.Errorf("defaultPullPolicy(%q) = %s, want %s", image, got, want)
		}
	}
}

func TestPodQOSClass(t *testing.T) {
	rl := func(cpu, mem string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if cpu != "" {
			l[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			l[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		return l
	}
	cases := []struct {
		name      string
		resources corev1.ResourceRequirements
		want      corev1.PodQOSClass
	}{
		{"nothing", corev1.ResourceRequirements{}, corev1.PodQOSBestEffort},
		{"limits only, both", corev1.ResourceRequirements{Limits: rl("1", "1Gi")}, corev1.PodQOSGuaranteed},
		{"requests below limits", corev1.ResourceRequirements{Requests: rl("500m", "1Gi"), Limits: rl("1", "1Gi")}, corev1.PodQOSBurstable},
		{"cpu request only", corev1.ResourceRequirements{Requests: rl("1", "")}, corev1.PodQOSBurstable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(corev1.Container{Name: "a", Image: "x", Resources: tc.resources})}
			stored(t, lookup(t, "", "pods"), pod)
			if pod.Status.QOSClass != tc.want {
				t.Errorf("qosClass = %s, want %s", pod.Status.QOSClass, tc.want)
			}
		})
	}
}

func TestServiceDefaultsAndAddresses(t *testing.T) {
	r := lookup(t, "", "services")
	// The strategy leaves the addresses to ServiceAddresses, which allocates them as the service
	// is stored; a service as stored has them.
	fresh := &corev1.Service{ObjectMeta: meta("f"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}
	stored(t, r, fresh)
	if fresh.Spec.ClusterIP != "" || fresh.Spec.ClusterIPs != nil || fresh.Spec.Ports[0].NodePort != 0 {
		t.Errorf("the strategy allocated addresses: %+v", fresh.Spec)
	}
	svc := &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{
		Type:      corev1.ServiceTypeNodePort,
		ClusterIP: "10.96.0.10",
		Ports:     []corev1.ServicePort{{Port: 80, NodePort: 30080}},
	}}
	stored(t, r, svc)
	p := svc.Spec.Ports[0]
	if p.Protocol != corev1.ProtocolTCP || p.TargetPort != intstr.FromInt32(80) {
		t.Errorf("port = %+v, want TCP with targetPort 80", p)
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityNone || svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyCluster {
		t.Errorf("sessionAffinity %q externalTrafficPolicy %q", svc.Spec.SessionAffinity, svc.Spec.ExternalTrafficPolicy)
	}
	if !reflect.DeepEqual(svc.Spec.ClusterIPs, []string{svc.Spec.ClusterIP}) || !reflect.DeepEqual(svc.Spec.IPFamilies, []corev1.IPFamily{corev1.IPv4Protocol}) {
		t.Errorf("clusterIPs %v ipFamilies %v", svc.Spec.ClusterIPs, svc.Spec.IPFamilies)
	}

	// An apply-style update that leaves out allocated values keeps them.
	next := svc.DeepCopy()
	next.Spec.ClusterIP, next.Spec.ClusterIPs, next.Spec.Ports[0].NodePort = "", nil, 0
	if errs := update(r, next, svc); len(errs) != 0 {
		t.Fatalf("update: %v", errs)
	}
	if next.Spec.ClusterIP != svc.Spec.ClusterIP || next.Spec.Ports[0].NodePort != p.NodePort {
		t.Errorf("after update clusterIP %q nodePort %d, want %q %d", next.Spec.ClusterIP, next.Spec.Ports[0].NodePort, svc.Spec.ClusterIP, p.NodePort)
	}

	headless := &corev1.Service{ObjectMeta: meta("h"), Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}
	stored(t, r, headless)
	if headless.Spec.ClusterIP != "None" || !reflect.DeepEqual(headless.Spec.ClusterIPs, []string{"None"}) {
		t.Errorf("headless clusterIP %q clusterIPs %v", headless.Spec.ClusterIP, headless.Spec.ClusterIPs)
	}
}

func TestWorkloadDefaults(t *testing.T) {
	d := &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)}}
	stored(t, lookup(t, "apps", "deployments"), d)
	quarter := intstr.FromString("25%")
	want := appsv1.DeploymentSpec{
		Replicas: int32Ptr(1),
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &quarter, MaxSurge: &quarter}},
		RevisionHistoryLimit:    int32Ptr(10),
		ProgressDeadlineSeconds: int32Ptr(600),
	}
	got := d.Spec
	got.Selector, got.Template = nil, corev1.PodTemplateSpec{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deployment spec defaults = %+v, want %+v", got, want)
	}
	if d.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || d.Spec.Template.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("pod template not defaulted: %+v", d.Spec.Template.Spec)
	}

	jt := template(nil)
	jt.Spec.RestartPolicy = corev1.RestartPolicyNever
	j := &batchv1.Job{ObjectMeta: meta("j"), Spec: batchv1.JobSpec{Template: jt}}
	stored(t, lookup(t, "batch", "jobs"), j)
	if deref(j.Spec.Completions) != 1 || deref(j.Spec.Parallelism) != 1 || deref(j.Spec.BackoffLimit) != 6 {
		t.Errorf("job completions/parallelism/backoffLimit = %d/%d/%d, want 1/1/6", deref(j.Spec.Completions), deref(j.Spec.Parallelism), deref(j.Spec.BackoffLimit))
	}
	uid := string(j.UID)
	if uid == "" || j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] != uid ||
		j.Spec.Template.Labels[batchv1.JobNameLabel] != "j" || j.Labels[batchv1.ControllerUidLabel] != uid {
		t.Errorf("generated selector %v template labels %v job labels %v", j.Spec.Selector, j.Spec.Template.Labels, j.Labels)
	}
}

func TestNamespaceOnCreate(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	stored(t, lookup(t, "", "namespaces"), ns)
	if ns.Status.Phase != corev1.NamespaceActive || ns.Labels[corev1.LabelMetadataName] != "team" ||
		!reflect.DeepEqual(ns.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
		t.Errorf("namespace = %+v", ns)
	}
}

func TestStatusHandling(t *testing.T) {
	ctx := context.Background()
	r := lookup(t, "apps", "deployments")
	d := &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: app}, Template: template(app)},
		Status: appsv1.DeploymentStatus{Replicas: 9}}
	stored(t, r, d)
	if d.Status.Replicas != 0 {
		t.Fatalf("create kept status %+v", d.Status)
	}
	d.Status.Replicas = 3

	// Through the main resource: spec changes, status stays.
	main := d.DeepCopy()
	main.Spec.Replicas = int32Ptr(5)
	main.Status.Replicas = 100
	r.Strategy.PrepareForUpdate(ctx, main, d)
	if *main.Spec.Replicas != 5 || main.Status.Replicas != 3 {
		t.Errorf("main update: replicas %d status %d, want 5 and 3", *main.Spec.Replicas, main.Status.Replicas)
	}

	// Through /status: status changes, spec and labels stay.
	st := d.DeepCopy()
	st.Spec.Replicas = int32Ptr(7)
	st.Labels = map[string]string{"changed": "yes"}
	st.Status.Replicas = 4
	r.Strategy.PrepareForStatusUpdate(ctx, st, d)
	if *st.Spec.Replicas != 1 || st.Status.Replicas != 4 || st.Labels != nil {
		t.Errorf("status update: replicas %d status %d labels %v, want 1, 4, none", *st.Spec.Replicas, st.Status.Replicas, st.Labels)
	}

	// Nodes may be created with status: the kubelet registers them so.
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}
	stored(t, lookup(t, "", "nodes"), n)
	if _, ok := n.Status.Allocatable[corev1.ResourceCPU]; !ok {
		t.Errorf("node status lost or allocatable not defaulted: %+v", n.Status)
	}
}

func TestSpecChangedAndGeneration(t *testing.T) {
	dep := func(change func(*appsv1.Deployment)) (runtime.Object, runtime.Object) {
		old := &appsv1.Deployment{ObjectMeta: meta("d"), Spec: appsv1.DeploymentSpec{Replicas: int32Ptr(1)}}
		obj := old.DeepCopy()
		change(obj)
		return obj, old
	}
	cm := func(change func(*corev1.ConfigMap)) (runtime.Object, runtime.Object) {
		old := &corev1.ConfigMap{ObjectMeta: meta("c"), Data: map[string]string{"a": "1"}}
		obj := old.DeepCopy()
		change(obj)
		return obj, old
	}
	pod := func(change func(*corev1.Pod)) (runtime.Object, runtime.Object) {
		old := &corev1.Pod{ObjectMeta: meta("p"), Spec: podSpec(container("a", "x"))}
		obj := old.DeepCopy()
		change(obj)
		return obj, old
	}
	cases := []struct {
		name          string
		group, plural string
		objs          func() (runtime.Object, runtime.Object)
		want          bool
	}{
		{"deployment replicas", "apps", "deployments", func() (runtime.Object, runtime.Object) {
			return dep(func(d *appsv1.Deployment) { d.Spec.Replicas = int32Ptr(2) })
		}, true},
		{"deployment labels", "apps", "deployments", func() (runtime.Object, runtime.Object) {
			return dep(func(d *appsv1.Deployment) { d.Labels = map[string]string{"a": "b"} })
		}, false},
		{"deployment annotations", "apps", "deployments", func() (runtime.Object, runtime.Object) {
			return dep(func(d *appsv1.Deployment) { d.Annotations = map[string]string{"a": "b"} })
		}, true},
		{"deployment status", "apps", "deployments", func() (runtime.Object, runtime.Object) {
			return dep(func(d *appsv1.Deployment) { d.Status.Replicas = 3 })
		}, false},
		{"pod image", "", "pods", func() (runtime.Object, runtime.Object) {
			return pod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = "y" })
		}, true},
		{"pod status", "", "pods", func() (runtime.Object, runtime.Object) {
			return pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning })
		}, false},
		{"configmap data (no generation)", "", "configmaps", func() (runtime.Object, runtime.Object) {
			return cm(func(c *corev1.ConfigMap) { c.Data["a"] = "2" })
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := lookup(t, tc.group, tc.plural)
			obj, old := tc.objs()
			if got := r.Strategy.SpecChanged(obj, old); got != tc.want {
				t.Errorf("SpecChanged = %v, want %v", got, tc.want)
			}
		})
	}

	for _, r := range Resources() {
		obj := r.New()
		r.Strategy.PrepareForCreate(context.Background(), obj)
		gen := obj.(metav1.Object).GetGeneration()
		if tracked := TracksGeneration(r.GroupVersionResource()); (gen == 1) != tracked {
			t.Errorf("%s: generation after create %d, TracksGeneration %v", r.GroupVersionResource(), gen, tracked)
		}
	}
}

func TestServiceTypeChange(t *testing.T) {
	r := lookup(t, "", "services")
	svc := stored(t, r, &corev1.Service{ObjectMeta: meta("s"), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}}}})

	// Back to ClusterIP, as kubectl edit sends it: the allocated node port goes, the IP stays.
	toClusterIP := svc.DeepCopy()
	toClusterIP.Spec.Type = corev1.ServiceTypeClusterIP
	if errs := update(r, toClusterIP, svc); len(errs) != 0 {
		t.Fatalf("NodePort to ClusterIP: %v", errs)
	}
	if toClusterIP.Spec.Ports[0].NodePort != 0 || toClusterIP.Spec.ClusterIP != svc.Spec.ClusterIP || toClusterIP.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("after NodePort to ClusterIP: %+v", toClusterIP.Spec)
	}

	toExternal := svc.DeepCopy()
	toExternal.Spec.Type = corev1.ServiceTypeExternalName
	toExternal.Spec.ExternalName = "example.com"
	if errs := update(r, toExternal, svc); len(errs) != 0 {
		t.Fatalf("NodePort to ExternalName: %v", errs)
	}
	if toExternal.Spec.ClusterIP != "" || toExternal.Spec.ClusterIPs != nil {
		t.Errorf("ExternalName kept cluster IPs %q %v", toExternal.Spec.ClusterIP, toExternal.Spec.ClusterIPs)
	}
}

func TestPersistentVolumePhaseTransitionTime(t *testing.T) {
	ctx := context.Background()
	r := lookup(t, "", "persistentvolumes")
	pv := stored(t, r, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv"}, Spec: corev1.PersistentVolumeSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
	}})
	if pv.Status.Phase != corev1.VolumePending || pv.Status.LastPhaseTransitionTime == nil {
		t.Fatalf("new volume status %+v, want Pending with a transition time", pv.Status)
	}
	old := pv.DeepCopy()
	old.Status.LastPhaseTransitionTime = &metav1.Time{Time: time.Now().Add(-time.Hour)}

	same := old.DeepCopy()
	same.Status.LastPhaseTransitionTime = nil
	r.Strategy.PrepareForStatusUpdate(ctx, same, old)
	if !same.Status.LastPhaseTransitionTime.Equal(old.Status.LastPhaseTransitionTime) {
		t.Errorf("unchanged phase lost its transition time: %v", same.Status.LastPhaseTransitionTime)
	}

	bound := old.DeepCopy()
	bound.Status.Phase = corev1.VolumeBound
	r.Strategy.PrepareForStatusUpdate(ctx, bound, old)
	if !bound.Status.LastPhaseTransitionTime.After(old.Status.LastPhaseTransitionTime.Time) {
		t.Errorf("phase change kept transition time %v", bound.Status.LastPhaseTransitionTime)
	}
}
