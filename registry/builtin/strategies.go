package builtin

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// TracksGeneration reports whether kube-apiserver maintains metadata.generation for the resource:
// set to 1 on create (PrepareForCreate does it) and bumped by one on every update whose
// Strategy.SpecChanged is true. For every other resource SpecChanged is always false and
// generation is left as it is.
func TracksGeneration(gvr schema.GroupVersionResource) bool {
	return generationTracked[gvr]
}

func gvr(group, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}
}

// generationTracked lists the resources whose kube strategies set and bump metadata.generation.
var generationTracked = map[schema.GroupVersionResource]bool{
	gvr("", "pods"):                                                           true,
	gvr("", "replicationcontrollers"):                                         true,
	gvr("", "podtemplates"):                                                   true,
	gvr("apps", "deployments"):                                                true,
	gvr("apps", "replicasets"):                                                true,
	gvr("apps", "statefulsets"):                                               true,
	gvr("apps", "daemonsets"):                                                 true,
	gvr("batch", "jobs"):                                                      true,
	gvr("batch", "cronjobs"):                                                  true,
	gvr(discoveryv1.GroupName, "endpointslices"):                              true,
	gvr(networkingv1.GroupName, "ingresses"):                                  true,
	gvr(networkingv1.GroupName, "networkpolicies"):                            true,
	gvr(policyv1.GroupName, "poddisruptionbudgets"):                           true,
	gvr(admissionregistrationv1.GroupName, "mutatingwebhookconfigurations"):   true,
	gvr(admissionregistrationv1.GroupName, "validatingwebhookconfigurations"): true,
}

// strategyFor builds the strategy of one built-in resource.
func strategyFor(r schema.GroupVersionResource, namespaced bool) registry.Strategy {
	switch r {
	case gvr("", "namespaces"):
		return namespaceStrategy()
	case gvr("", "pods"):
		return podStrategy()
	case gvr("", "configmaps"):
		return configMapStrategy()
	case gvr("", "secrets"):
		return secretStrategy()
	case gvr("", "serviceaccounts"):
		return typed[*corev1.ServiceAccount]{namespaced: true}
	case gvr("", "services"):
		return serviceStrategy()
	case gvr("", "endpoints"):
		return endpointsStrategy()
	case gvr("", "events"):
		return coreEventStrategy()
	case gvr("", "nodes"):
		return nodeStrategy()
	case gvr("", "limitranges"):
		return limitRangeStrategy()
	case gvr("", "resourcequotas"):
		return resourceQuotaStrategy()
	case gvr("", "persistentvolumes"):
		return persistentVolumeStrategy()
	case gvr("", "persistentvolumeclaims"):
		return persistentVolumeClaimStrategy()
	case gvr("", "podtemplates"):
		return podTemplateStrategy()
	case gvr("", "replicationcontrollers"):
		return replicationControllerStrategy()
	case gvr("apps", "deployments"):
		return deploymentStrategy()
	case gvr("apps", "replicasets"):
		return replicaSetStrategy()
	case gvr("apps", "statefulsets"):
		return statefulSetStrategy()
	case gvr("apps", "daemonsets"):
		return daemonSetStrategy()
	case gvr("apps", "controllerrevisions"):
		return typed[*appsv1.ControllerRevision]{namespaced: true}
	case gvr("batch", "jobs"):
		return jobStrategy()
	case gvr("batch", "cronjobs"):
		return cronJobStrategy()
	case gvr(rbacv1.GroupName, "roles"):
		return roleStrategy()
	case gvr(rbacv1.GroupName, "rolebindings"):
		return roleBindingStrategy()
	case gvr(rbacv1.GroupName, "clusterroles"):
		return clusterRoleStrategy()
	case gvr(rbacv1.GroupName, "clusterrolebindings"):
		return clusterRoleBindingStrategy()
	case gvr(coordinationv1.GroupName, "leases"):
		return typed[*coordinationv1.Lease]{namespaced: true, validate: validateLease}
	case gvr(eventsv1.GroupName, "events"):
		return typed[*eventsv1.Event]{namespaced: true, validate: validateEventsV1Event}
	case gvr(discoveryv1.GroupName, "endpointslices"):
		return endpointSliceStrategy()
	case gvr(networkingv1.GroupName, "ingresses"):
		return typed[*networkingv1.Ingress]{namespaced: true, status: true, validate: validateIngress, generation: specOf[*networkingv1.Ingress]}
	case gvr(networkingv1.GroupName, "networkpolicies"):
		return typed[*networkingv1.NetworkPolicy]{namespaced: true, defaults: defaultNetworkPolicy, validate: validateNetworkPolicy, generation: specOf[*networkingv1.NetworkPolicy]}
	case gvr(policyv1.GroupName, "poddisruptionbudgets"):
		return typed[*policyv1.PodDisruptionBudget]{namespaced: true, status: true, validate: validatePodDisruptionBudget, generation: specOf[*policyv1.PodDisruptionBudget]}
	case gvr(admissionregistrationv1.GroupName, "mutatingwebhookconfigurations"):
		return typed[*admissionregistrationv1.MutatingWebhookConfiguration]{
			defaults:   defaultMutatingWebhookConfiguration,
			validate:   validateMutatingWebhookConfiguration,
			generation: func(o *admissionregistrationv1.MutatingWebhookConfiguration) interface{} { return o.Webhooks },
		}
	case gvr(admissionregistrationv1.GroupName, "validatingwebhookconfigurations"):
		return typed[*admissionregistrationv1.ValidatingWebhookConfiguration]{
			defaults:   defaultValidatingWebhookConfiguration,
			validate:   validateValidatingWebhookConfiguration,
			generation: func(o *admissionregistrationv1.ValidatingWebhookConfiguration) interface{} { return o.Webhooks },
		}
	}
	// Not reached for the resources Resources lists; metadata-only checks for anything else.
	return typed[*metav1.PartialObjectMetadata]{namespaced: namespaced}
}
