package builtin

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fieldsFor returns the SelectableFields function of one resource: metadata.name, and
// metadata.namespace for namespaced resources, plus the fields kube lets a fieldSelector name.
func fieldsFor(r schema.GroupVersionResource, namespaced bool) func(runtime.Object) fields.Set {
	extra := selectableExtras[r]
	return func(obj runtime.Object) fields.Set {
		set := fields.Set{}
		m, err := metaOf(obj)
		if err != nil {
			return set
		}
		set["metadata.name"] = m.GetName()
		if namespaced {
			set["metadata.namespace"] = m.GetNamespace()
		}
		if extra != nil {
			extra(obj, set)
		}
		return set
	}
}

// selectableExtras adds a resource's own selectable fields to set: the field selectors
// kube-apiserver accepts beyond metadata.name and metadata.namespace.
var selectableExtras = map[schema.GroupVersionResource]func(obj runtime.Object, set fields.Set){
	gvr("", "pods"): typedFields(func(p *corev1.Pod, set fields.Set) {
		set["spec.nodeName"] = p.Spec.NodeName
		set["spec.restartPolicy"] = string(p.Spec.RestartPolicy)
		set["spec.schedulerName"] = p.Spec.SchedulerName
		set["spec.serviceAccountName"] = p.Spec.ServiceAccountName
		set["spec.hostNetwork"] = strconv.FormatBool(p.Spec.HostNetwork)
		set["status.phase"] = string(p.Status.Phase)
		// kube selects on the primary pod IP, status.podIPs[0] (status.podIP mirrors it).
		podIP := p.Status.PodIP
		if len(p.Status.PodIPs) > 0 {
			podIP = p.Status.PodIPs[0].IP
		}
		set["status.podIP"] = podIP
		set["status.nominatedNodeName"] = p.Status.NominatedNodeName
	}),
	gvr("", "events"): typedFields(func(e *corev1.Event, set fields.Set) {
		source := e.Source.Component
		if source == "" {
			source = e.ReportingController
		}
		set["involvedObject.kind"] = e.InvolvedObject.Kind
		set["involvedObject.namespace"] = e.InvolvedObject.Namespace
		set["involvedObject.name"] = e.InvolvedObject.Name
		set["involvedObject.uid"] = string(e.InvolvedObject.UID)
		set["involvedObject.apiVersion"] = e.InvolvedObject.APIVersion
		set["involvedObject.resourceVersion"] = e.InvolvedObject.ResourceVersion
		set["involvedObject.fieldPath"] = e.InvolvedObject.FieldPath
		set["reason"] = e.Reason
		set["reportingComponent"] = e.ReportingController
		set["source"] = source
		set["type"] = e.Type
	}),
	// events.k8s.io names the same fields in its own terms.
	gvr(eventsv1.GroupName, "events"): typedFields(func(e *eventsv1.Event, set fields.Set) {
		set["regarding.kind"] = e.Regarding.Kind
		set["regarding.namespace"] = e.Regarding.Namespace
		set["regarding.name"] = e.Regarding.Name
		set["regarding.uid"] = string(e.Regarding.UID)
		set["regarding.apiVersion"] = e.Regarding.APIVersion
		set["regarding.resourceVersion"] = e.Regarding.ResourceVersion
		set["regarding.fieldPath"] = e.Regarding.FieldPath
		set["reason"] = e.Reason
		set["reportingController"] = e.ReportingController
		set["type"] = e.Type
	}),
	gvr("", "secrets"): typedFields(func(s *corev1.Secret, set fields.Set) {
		set["type"] = string(s.Type)
	}),
	gvr("", "namespaces"): typedFields(func(ns *corev1.Namespace, set fields.Set) {
		set["status.phase"] = string(ns.Status.Phase)
	}),
	gvr("", "nodes"): typedFields(func(n *corev1.Node, set fields.Set) {
		set["spec.unschedulable"] = strconv.FormatBool(n.Spec.Unschedulable)
	}),
	gvr("", "services"): typedFields(func(svc *corev1.Service, set fields.Set) {
		set["spec.clusterIP"] = svc.Spec.ClusterIP
		set["spec.type"] = string(svc.Spec.Type)
	}),
	gvr("", "replicationcontrollers"): typedFields(func(rc *corev1.ReplicationController, set fields.Set) {
		set["status.replicas"] = strconv.Itoa(int(rc.Status.Replicas))
	}),
	gvr("apps", "replicasets"): typedFields(func(rs *appsv1.ReplicaSet, set fields.Set) {
		set["status.replicas"] = strconv.Itoa(int(rs.Status.Replicas))
	}),
	gvr("batch", "jobs"): typedFields(func(j *batchv1.Job, set fields.Set) {
		set["status.successful"] = strconv.Itoa(int(j.Status.Succeeded))
	}),
}

// typedFields adapts a field function of one Go type; objects of other types add nothing.
func typedFields[T runtime.Object](f func(T, fields.Set)) func(runtime.Object, fields.Set) {
	return func(obj runtime.Object, set fields.Set) {
		if o, ok := obj.(T); ok {
			f(o, set)
		}
	}
}
