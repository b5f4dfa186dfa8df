package builtin

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

func namespaceStrategy() registry.Strategy {
	return typed[*corev1.Namespace]{
		nameFn: apivalidation.ValidateNamespaceName,
		status: true,
		initStatus: func(ns *corev1.Namespace) {
			ns.Status.Phase = corev1.NamespaceActive
		},
		defaults: defaultNamespace,
		prepareCreate: func(ns *corev1.Namespace) {
			for _, f := range ns.Spec.Finalizers {
				if f == corev1.FinalizerKubernetes {
					return
				}
			}
			ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
		},
		prepareUpdate: func(ns, old *corev1.Namespace) {
			// spec.finalizers change only through /finalize, which the generic store serves.
			ns.Spec.Finalizers = old.Spec.Finalizers
		},
	}
}

// defaultNamespace applies kube's namespace default: the immutable kubernetes.io/metadata.name
// label.
func defaultNamespace(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

func podStrategy() registry.Strategy {
	return typed[*corev1.Pod]{
		namespaced: true,
		status:     true,
		defaults:   func(p *corev1.Pod) { defaultPodSpec(&p.Spec) },
		initStatus: func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.QOSClass = podQOSClass(&p.Spec)
		},
		validate:       validatePod,
		validateUpdate: validatePodUpdate,
		generation:     specOf[*corev1.Pod],
		prepareStatus: func(p, old *corev1.Pod) {
			// A status write may not change who owns the pod.
			p.OwnerReferences = old.OwnerReferences
		},
	}
}

func configMapStrategy() registry.Strategy {
	return typed[*corev1.ConfigMap]{
		namespaced:     true,
		validate:       validateConfigMap,
		validateUpdate: validateConfigMapUpdate,
	}
}

func secretStrategy() registry.Strategy {
	return typed[*corev1.Secret]{
		namespaced:     true,
		defaults:       defaultSecret,
		validate:       validateSecret,
		validateUpdate: validateSecretUpdate,
	}
}

func serviceStrategy() registry.Strategy {
	return typed[*corev1.Service]{
		namespaced:    true,
		nameFn:        apivalidation.NameIsDNS1035Label,
		status:        true,
		defaults:      defaultService,
		prepareCreate: allocateServiceAddresses,
		prepareUpdate: func(svc, old *corev1.Service) {
			dropTypeDependentFields(svc, old)
			keepAllocatedAddresses(svc, old)
			allocateServiceAddresses(svc)
		},
		validate:       validateService,
		validateUpdate: validateServiceUpdate,
	}
}

// dropTypeDependentFields clears, when a service changes type, the fields the old type had
// allocated or defaulted and the new type does not use, as long as the client left them as they
// were (a client that changes such a field as well gets a validation error instead, as in kube).
func dropTypeDependentFields(svc, old *corev1.Service) {
	needsNodePorts := func(s *corev1.Service) bool {
		return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
	}
	if old.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.Type == corev1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP == old.Spec.ClusterIP && reflect.DeepEqual(svc.Spec.ClusterIPs, old.Spec.ClusterIPs) {
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		}
		if reflect.DeepEqual(svc.Spec.IPFamilies, old.Spec.IPFamilies) {
			svc.Spec.IPFamilies = nil
		}
		if deref(svc.Spec.IPFamilyPolicy) == deref(old.Spec.IPFamilyPolicy) {
			svc.Spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePorts(old) && !needsNodePorts(svc) {
		// Only when no node port is new: ports may be added, removed or changed otherwise.
		oldPorts := map[int32]bool{}
		for _, p := range old.Spec.Ports {
			oldPorts[p.NodePort] = true
		}
		same := true
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 && !oldPorts[p.NodePort] {
				same = false
			}
		}
		if same {
			for i := range svc.Spec.Ports {
				svc.Spec.Ports[i].NodePort = 0
			}
		}
	}
	if externallyAccessible(old) && !externallyAccessible(svc) && svc.Spec.ExternalTrafficPolicy == old.Spec.ExternalTrafficPolicy {
		svc.Spec.ExternalTrafficPolicy = ""
	}
	if needsHealthCheck(old) && !needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort == old.Spec.HealthCheckNodePort {
		svc.Spec.HealthCheckNodePort = 0
	}
	if old.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		if a, b := svc.Spec.AllocateLoadBalancerNodePorts, old.Spec.AllocateLoadBalancerNodePorts; a != nil && b != nil && *a == *b {
			svc.Spec.AllocateLoadBalancerNodePorts = nil
		}
		if reflect.DeepEqual(svc.Spec.LoadBalancerClass, old.Spec.LoadBalancerClass) {
			svc.Spec.LoadBalancerClass = nil
		}
	}
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
}

// keepAllocatedAddresses carries a service's cluster IPs, node ports and health check node port
// over an update that leaves them out (kubectl apply does), as kube's service REST does.
func keepAllocatedAddresses(svc, old *corev1.Service) {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if svc.Spec.ClusterIP == "" {
		svc.Spec.ClusterIP = old.Spec.ClusterIP
	}
	if len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = append([]string(nil), old.Spec.ClusterIPs...)
	}
	// A client that changed only clusterIP means the primary of clusterIPs.
	if len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIP != svc.Spec.ClusterIPs[0] {
		svc.Spec.ClusterIPs = append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs[1:]...)
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = old.Spec.IPFamilies
	}
	if svc.Spec.IPFamilyPolicy == nil {
		svc.Spec.IPFamilyPolicy = old.Spec.IPFamilyPolicy
	}
	used := map[int32]bool{}
	for _, p := range svc.Spec.Ports {
		used[p.NodePort] = true
	}
	byName := map[string]int32{}
	for _, p := range old.Spec.Ports {
		byName[p.Name] = p.NodePort
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if np := byName[p.Name]; p.NodePort == 0 && np != 0 && !used[np] && svc.Spec.Type != corev1.ServiceTypeClusterIP {
			p.NodePort = np
			used[np] = true
		}
	}
	if svc.Spec.HealthCheckNodePort == 0 && needsHealthCheck(old) && needsHealthCheck(svc) {
		svc.Spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

func coreEventStrategy() registry.Strategy {
	return typed[*corev1.Event]{namespaced: true, validate: validateCoreEvent}
}

func nodeStrategy() registry.Strategy {
	return typed[*corev1.Node]{
		status:            true,
		createKeepsStatus: true,
		defaults:          defaultNode,
		validate:          validateNode,
	}
}

func persistentVolumeStrategy() registry.Strategy {
	return typed[*corev1.PersistentVolume]{
		status:   true,
		defaults: defaultPersistentVolume,
		initStatus: func(pv *corev1.PersistentVolume) {
			now := metav1.Now()
			pv.Status.Phase = corev1.VolumePending
			pv.Status.LastPhaseTransitionTime = &now
		},
		validate: validatePersistentVolume,
		prepareStatus: func(pv, old *corev1.PersistentVolume) {
			// lastPhaseTransitionTime follows phase changes unless the client set it.
			switch {
			case pv.Status.Phase == old.Status.Phase && pv.Status.LastPhaseTransitionTime == nil:
				pv.Status.LastPhaseTransitionTime = old.Status.LastPhaseTransitionTime
			case pv.Status.Phase != old.Status.Phase && (pv.Status.LastPhaseTransitionTime == nil ||
				pv.Status.LastPhaseTransitionTime.Equal(old.Status.LastPhaseTransitionTime)):
				now := metav1.Now()
				pv.Status.LastPhaseTransitionTime = &now
			}
		},
	}
}

func persistentVolumeClaimStrategy() registry.Strategy {
	return typed[*corev1.PersistentVolumeClaim]{
		namespaced: true,
		status:     true,
		defaults:   func(pvc *corev1.PersistentVolumeClaim) { defaultPersistentVolumeClaimSpec(&pvc.Spec) },
		initStatus: func(pvc *corev1.PersistentVolumeClaim) {
			pvc.Status.Phase = corev1.ClaimPending
		},
		validate:       validatePersistentVolumeClaim,
		validateUpdate: validatePersistentVolumeClaimUpdate,
	}
}

func podTemplateStrategy() registry.Strategy {
	return typed[*corev1.PodTemplate]{
		namespaced: true,
		defaults:   func(t *corev1.PodTemplate) { defaultPodSpec(&t.Template.Spec) },
		validate:   validatePodTemplate,
		generation: func(t *corev1.PodTemplate) interface{} { return t.Template },
	}
}

func replicationControllerStrategy() registry.Strategy {
	return typed[*corev1.ReplicationController]{
		namespaced: true,
		status:     true,
		defaults:   defaultReplicationController,
		validate:   validateReplicationController,
		generation: specOf[*corev1.ReplicationController],
	}
}

func limitRangeStrategy() registry.Strategy {
	return typed[*corev1.LimitRange]{namespaced: true, defaults: defaultLimitRange}
}

func resourceQuotaStrategy() registry.Strategy {
	return typed[*corev1.ResourceQuota]{namespaced: true, status: true, validate: validateResourceQuota}
}

func endpointsStrategy() registry.Strategy {
	return typed[*corev1.Endpoints]{
		namespaced: true,
		defaults:   defaultEndpoints,
		validate: func(ep *corev1.Endpoints) field.ErrorList {
			var errs field.ErrorList
			for i, ss := range ep.Subsets {
				for j, p := range ss.Ports {
					errs = append(errs, validateProtocol(p.Protocol, field.NewPath("subsets").Index(i).Child("ports").Index(j).Child("protocol"))...)
				}
			}
			return errs
		},
	}
}
