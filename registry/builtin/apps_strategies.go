package builtin

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/registry"
)

func deploymentStrategy() registry.Strategy {
	return typed[*appsv1.Deployment]{
		namespaced: true,
		status:     true,
		defaults:   defaultDeployment,
		validate:   validateDeployment,
		validateUpdate: func(d, old *appsv1.Deployment) field.ErrorList {
			return validateSelectorUpdate(d.Spec.Selector, old.Spec.Selector)
		},
		// kube bumps a deployment's generation on annotation changes too: they are copied to
		// its replica sets.
		generation: func(d *appsv1.Deployment) interface{} { return []interface{}{d.Spec, d.Annotations} },
		prepareStatus: func(d, old *appsv1.Deployment) {
			d.Labels = old.Labels
		},
	}
}

func replicaSetStrategy() registry.Strategy {
	return typed[*appsv1.ReplicaSet]{
		namespaced: true,
		status:     true,
		defaults:   defaultReplicaSet,
		validate:   validateReplicaSet,
		validateUpdate: func(rs, old *appsv1.ReplicaSet) field.ErrorList {
			return validateSelectorUpdate(rs.Spec.Selector, old.Spec.Selector)
		},
		generation: specOf[*appsv1.ReplicaSet],
		prepareStatus: func(rs, old *appsv1.ReplicaSet) {
			rs.Labels = old.Labels
		},
	}
}

func statefulSetStrategy() registry.Strategy {
	return typed[*appsv1.StatefulSet]{
		namespaced:     true,
		status:         true,
		defaults:       defaultStatefulSet,
		validate:       validateStatefulSet,
		validateUpdate: validateStatefulSetUpdate,
		generation:     specOf[*appsv1.StatefulSet],
	}
}

func daemonSetStrategy() registry.Strategy {
	return typed[*appsv1.DaemonSet]{
		namespaced: true,
		status:     true,
		defaults:   defaultDaemonSet,
		validate:   validateDaemonSet,
		validateUpdate: func(ds, old *appsv1.DaemonSet) field.ErrorList {
			return validateSelectorUpdate(ds.Spec.Selector, old.Spec.Selector)
		},
		generation: specOf[*appsv1.DaemonSet],
	}
}
