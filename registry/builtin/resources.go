package builtin

import (
	"crypto/sha256"
	"encoding/base64"

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
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
)

// Verb sets as kube-apiserver's discovery lists them.
var (
	// allVerbs is what a generic registry store serves.
	allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	// namespaceVerbs lacks deletecollection: kube's namespace REST does not serve it.
	namespaceVerbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}
)

// categoryAll is the category "kubectl get all" lists.
var categoryAll = []string{"all"}

// Resources returns a fresh descriptor for every built-in resource. Callers may change what they
// get; each call builds new values.
func Resources() []*registry.Resource {
	rs := []*registry.Resource{
		// core/v1
		{
			Kind: "Namespace", Plural: "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
			Subresources: []string{"status", "finalize"}, Verbs: namespaceVerbs,
			New:     func() runtime.Object { return &corev1.Namespace{} },
			NewList: func() runtime.Object { return &corev1.NamespaceList{} },
		},
		{
			Kind: "Pod", Plural: "pods", Singular: "pod", ShortNames: []string{"po"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status", "binding"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Pod{} },
			NewList: func() runtime.Object { return &corev1.PodList{} },
		},
		{
			Kind: "ConfigMap", Plural: "configmaps", Singular: "configmap", ShortNames: []string{"cm"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.ConfigMap{} },
			NewList: func() runtime.Object { return &corev1.ConfigMapList{} },
		},
		{
			Kind: "Secret", Plural: "secrets", Singular: "secret",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Secret{} },
			NewList: func() runtime.Object { return &corev1.SecretList{} },
		},
		{
			Kind: "ServiceAccount", Plural: "serviceaccounts", Singular: "serviceaccount", ShortNames: []string{"sa"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.ServiceAccount{} },
			NewList: func() runtime.Object { return &corev1.ServiceAccountList{} },
		},
		{
			Kind: "Service", Plural: "services", Singular: "service", ShortNames: []string{"svc"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Service{} },
			NewList: func() runtime.Object { return &corev1.ServiceList{} },
		},
		{
			Kind: "Endpoints", Plural: "endpoints", Singular: "endpoints", ShortNames: []string{"ep"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Endpoints{} },
			NewList: func() runtime.Object { return &corev1.EndpointsList{} },
		},
		{
			Kind: "Event", Plural: "events", Singular: "event", ShortNames: []string{"ev"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Event{} },
			NewList: func() runtime.Object { return &corev1.EventList{} },
		},
		{
			Kind: "Node", Plural: "nodes", Singular: "node", ShortNames: []string{"no"},
			Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.Node{} },
			NewList: func() runtime.Object { return &corev1.NodeList{} },
		},
		{
			Kind: "LimitRange", Plural: "limitranges", Singular: "limitrange", ShortNames: []string{"limits"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.LimitRange{} },
			NewList: func() runtime.Object { return &corev1.LimitRangeList{} },
		},
		{
			Kind: "ResourceQuota", Plural: "resourcequotas", Singular: "resourcequota", ShortNames: []string{"quota"},
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.ResourceQuota{} },
			NewList: func() runtime.Object { return &corev1.ResourceQuotaList{} },
		},
		{
			Kind: "PersistentVolume", Plural: "persistentvolumes", Singular: "persistentvolume", ShortNames: []string{"pv"},
			Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.PersistentVolume{} },
			NewList: func() runtime.Object { return &corev1.PersistentVolumeList{} },
		},
		{
			Kind: "PersistentVolumeClaim", Plural: "persistentvolumeclaims", Singular: "persistentvolumeclaim", ShortNames: []string{"pvc"},
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
			NewList: func() runtime.Object { return &corev1.PersistentVolumeClaimList{} },
		},
		{
			Kind: "PodTemplate", Plural: "podtemplates", Singular: "podtemplate",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.PodTemplate{} },
			NewList: func() runtime.Object { return &corev1.PodTemplateList{} },
		},
		{
			Kind: "ReplicationController", Plural: "replicationcontrollers", Singular: "replicationcontroller", ShortNames: []string{"rc"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &corev1.ReplicationController{} },
			NewList: func() runtime.Object { return &corev1.ReplicationControllerList{} },
		},

		// apps/v1
		{
			Group: "apps", Kind: "Deployment", Plural: "deployments", Singular: "deployment", ShortNames: []string{"deploy"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &appsv1.Deployment{} },
			NewList: func() runtime.Object { return &appsv1.DeploymentList{} },
		},
		{
			Group: "apps", Kind: "ReplicaSet", Plural: "replicasets", Singular: "replicaset", ShortNames: []string{"rs"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &appsv1.ReplicaSet{} },
			NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} },
		},
		{
			Group: "apps", Kind: "StatefulSet", Plural: "statefulsets", Singular: "statefulset", ShortNames: []string{"sts"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &appsv1.StatefulSet{} },
			NewList: func() runtime.Object { return &appsv1.StatefulSetList{} },
		},
		{
			Group: "apps", Kind: "DaemonSet", Plural: "daemonsets", Singular: "daemonset", ShortNames: []string{"ds"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &appsv1.DaemonSet{} },
			NewList: func() runtime.Object { return &appsv1.DaemonSetList{} },
		},
		{
			Group: "apps", Kind: "ControllerRevision", Plural: "controllerrevisions", Singular: "controllerrevision",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &appsv1.ControllerRevision{} },
			NewList: func() runtime.Object { return &appsv1.ControllerRevisionList{} },
		},

		// batch/v1
		{
			Group: "batch", Kind: "Job", Plural: "jobs", Singular: "job", Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &batchv1.Job{} },
			NewList: func() runtime.Object { return &batchv1.JobList{} },
		},
		{
			Group: "batch", Kind: "CronJob", Plural: "cronjobs", Singular: "cronjob", ShortNames: []string{"cj"}, Categories: categoryAll,
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &batchv1.CronJob{} },
			NewList: func() runtime.Object { return &batchv1.CronJobList{} },
		},

		// rbac.authorization.k8s.io/v1
		{
			Group: rbacv1.GroupName, Kind: "Role", Plural: "roles", Singular: "role",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &rbacv1.Role{} },
			NewList: func() runtime.Object { return &rbacv1.RoleList{} },
		},
		{
			Group: rbacv1.GroupName, Kind: "RoleBinding", Plural: "rolebindings", Singular: "rolebinding",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &rbacv1.RoleBinding{} },
			NewList: func() runtime.Object { return &rbacv1.RoleBindingList{} },
		},
		{
			Group: rbacv1.GroupName, Kind: "ClusterRole", Plural: "clusterroles", Singular: "clusterrole",
			Verbs:   allVerbs,
			New:     func() runtime.Object { return &rbacv1.ClusterRole{} },
			NewList: func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		},
		{
			Group: rbacv1.GroupName, Kind: "ClusterRoleBinding", Plural: "clusterrolebindings", Singular: "clusterrolebinding",
			Verbs:   allVerbs,
			New:     func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
			NewList: func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		},

		// coordination.k8s.io/v1
		{
			Group: coordinationv1.GroupName, Kind: "Lease", Plural: "leases", Singular: "lease",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &coordinationv1.Lease{} },
			NewList: func() runtime.Object { return &coordinationv1.LeaseList{} },
		},

		// events.k8s.io/v1
		{
			Group: eventsv1.GroupName, Kind: "Event", Plural: "events", Singular: "event", ShortNames: []string{"ev"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &eventsv1.Event{} },
			NewList: func() runtime.Object { return &eventsv1.EventList{} },
			// Stored as core events, as kube stores them.
			SharedStorage: eventsSharedStorage,
		},

		// discovery.k8s.io/v1
		{
			Group: discoveryv1.GroupName, Kind: "EndpointSlice", Plural: "endpointslices", Singular: "endpointslice",
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &discoveryv1.EndpointSlice{} },
			NewList: func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		},

		// networking.k8s.io/v1
		{
			Group: networkingv1.GroupName, Kind: "Ingress", Plural: "ingresses", Singular: "ingress", ShortNames: []string{"ing"},
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &networkingv1.Ingress{} },
			NewList: func() runtime.Object { return &networkingv1.IngressList{} },
		},
		{
			Group: networkingv1.GroupName, Kind: "NetworkPolicy", Plural: "networkpolicies", Singular: "networkpolicy", ShortNames: []string{"netpol"},
			Namespaced: true, Verbs: allVerbs,
			New:     func() runtime.Object { return &networkingv1.NetworkPolicy{} },
			NewList: func() runtime.Object { return &networkingv1.NetworkPolicyList{} },
		},

		// policy/v1
		{
			Group: policyv1.GroupName, Kind: "PodDisruptionBudget", Plural: "poddisruptionbudgets", Singular: "poddisruptionbudget", ShortNames: []string{"pdb"},
			Namespaced: true, Subresources: []string{"status"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
			NewList: func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} },
		},

		// admissionregistration.k8s.io/v1
		{
			Group: admissionregistrationv1.GroupName, Kind: "MutatingWebhookConfiguration", Plural: "mutatingwebhookconfigurations", Singular: "mutatingwebhookconfiguration",
			Categories: []string{"api-extensions"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
			NewList: func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		},
		{
			Group: admissionregistrationv1.GroupName, Kind: "ValidatingWebhookConfiguration", Plural: "validatingwebhookconfigurations", Singular: "validatingwebhookconfiguration",
			Categories: []string{"api-extensions"}, Verbs: allVerbs,
			New:     func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
			NewList: func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		},
	}
	for _, r := range rs {
		complete(r)
	}
	return rs
}

// complete fills what every descriptor shares: the version (all built-ins are v1), fresh slices
// so callers may change them, and the per-kind table, fields and strategy.
func complete(r *registry.Resource) {
	r.Version = "v1"
	r.Verbs = append([]string(nil), r.Verbs...)
	r.ShortNames = append([]string(nil), r.ShortNames...)
	r.Categories = append([]string(nil), r.Categories...)
	r.Subresources = append([]string(nil), r.Subresources...)
	gvr := r.GroupVersionResource()
	r.StorageVersionHash = storageVersionHash(r)
	r.TableColumns, r.TableRow = tableFor(gvr)
	r.SelectableFields = fieldsFor(gvr, r.Namespaced)
	r.Strategy = strategyFor(gvr, r.Namespaced)
}

// storageVersionHash is discovery's storageVersionHash, computed as kube does from the group,
// version and kind objects are stored as: the first 8 bytes of the SHA-256 of
// "<group>/<version>/<kind>", base64-encoded. events.k8s.io events share the core events'
// storage, and so their hash.
func storageVersionHash(r *registry.Resource) string {
	group, kind := r.Group, r.Kind
	if group == eventsv1.GroupName && r.Plural == "events" {
		group = ""
	}
	sum := sha256.Sum256([]byte(group + "/" + r.Version + "/" + kind))
	return base64.StdEncoding.EncodeToString(sum[:8])
}
