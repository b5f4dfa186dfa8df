package builtin

import (
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
			// Spec.finalizers change only through /finalize.
			ns.Spec.Finalizers = old.Spec.Finalizers
		},
	}
}

func podStrategy() registry.Strategy {
	return typed[*corev1.Pod]{
		namespaced: true,
		status:     true,
		initStatus: func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
		},
		generation: specOf[*corev1.Pod],
		prepareStatus: func(p, old *corev1.Pod) {
			// A status write may not set a deletion or change who owns the pod.
			p.OwnerReferences = old.OwnerReferences
		},
	}
}

func configMapStrategy() registry.Strategy {
	return typed[*corev1.ConfigMap]{namespaced: true}
}

func secretStrategy() registry.Strategy {
	return typed[*corev1.Secret]{namespaced: true}
}

func serviceStrategy() registry.Strategy {
	return typed[*corev1.Service]{
		namespaced: true,
		nameFn:     apivalidation.NameIsDNS1035Label,
		status:     true,
	}
}

func coreEventStrategy() registry.Strategy {
	return typed[*corev1.Event]{namespaced: true}
}

func nodeStrategy() registry.Strategy {
	return typed[*corev1.Node]{status: true, createKeepsStatus: true}
}

func persistentVolumeStrategy() registry.Strategy {
	return typed[*corev1.PersistentVolume]{
		status: true,
		initStatus: func(pv *corev1.PersistentVolume) {
			now := metav1.Now()
			pv.Status.Phase = corev1.VolumePending
			pv.Status.LastPhaseTransitionTime = &now
		},
	}
}

func persistentVolumeClaimStrategy() registry.Strategy {
	return typed[*corev1.PersistentVolumeClaim]{
		namespaced: true,
		status:     true,
		initStatus: func(pvc *corev1.PersistentVolumeClaim) {
			pvc.Status.Phase = corev1.ClaimPending
		},
	}
}

func podTemplateStrategy() registry.Strategy {
	return typed[*corev1.PodTemplate]{
		namespaced: true,
		generation: func(t *corev1.PodTemplate) interface{} { return t.Template },
	}
}

func replicationControllerStrategy() registry.Strategy {
	return typed[*corev1.ReplicationController]{
		namespaced: true,
		status:     true,
		generation: specOf[*corev1.ReplicationController],
	}
}

// defaultNamespace applies kube's namespace defaults: the immutable name label, and the
// "kubernetes" finalizer every namespace carries until its contents are gone.
func defaultNamespace(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}
