package builtin

import (
	appsv1 "k8s.io/api/apps/v1"

	"github.com/kapi-dev/kapi/registry"
)

func deploymentStrategy() registry.Strategy {
	return typed[*appsv1.Deployment]{
		namespaced: true,
		status:     true,
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
		generation: specOf[*appsv1.ReplicaSet],
		prepareStatus: func(rs, old *appsv1.ReplicaSet) {
			rs.Labels = old.Labels
		},
	}
}

func statefulSetStrategy() registry.Strategy {
	return typed[*appsv1.StatefulSet]{
		namespaced: true,
		status:     true,
		generation: specOf[*appsv1.StatefulSet],
	}
}

func daemonSetStrategy() registry.Strategy {
	return typed[*appsv1.DaemonSet]{
		namespaced: true,
		status:     true,
		generation: specOf[*appsv1.DaemonSet],
	}
}
