package builtin

import (
	batchv1 "k8s.io/api/batch/v1"

	"github.com/kapi-dev/kapi/registry"
)

func jobStrategy() registry.Strategy {
	return typed[*batchv1.Job]{
		namespaced: true,
		status:     true,
		generation: specOf[*batchv1.Job],
	}
}

func cronJobStrategy() registry.Strategy {
	return typed[*batchv1.CronJob]{
		namespaced: true,
		status:     true,
		generation: specOf[*batchv1.CronJob],
	}
}
