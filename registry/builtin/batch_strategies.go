package builtin

import (
	batchv1 "k8s.io/api/batch/v1"

	"github.com/kapi-dev/kapi/registry"
)

func jobStrategy() registry.Strategy {
	return typed[*batchv1.Job]{
		namespaced: true,
		status:     true,
		defaults:   defaultJob,
		prepareCreate: func(j *batchv1.Job) {
			generateJobSelector(j)
			// kube defaults again when it decodes the stored job, so the job's labels come
			// from the template as it is now, generated labels included.
			if len(j.Labels) == 0 && len(j.Spec.Template.Labels) > 0 {
				j.Labels = make(map[string]string, len(j.Spec.Template.Labels))
				for k, v := range j.Spec.Template.Labels {
					j.Labels[k] = v
				}
			}
		},
		validate:       validateJob,
		validateUpdate: validateJobUpdate,
		generation:     specOf[*batchv1.Job],
	}
}

func cronJobStrategy() registry.Strategy {
	return typed[*batchv1.CronJob]{
		namespaced: true,
		status:     true,
		defaults:   defaultCronJob,
		validate:   validateCronJob,
		generation: specOf[*batchv1.CronJob],
	}
}
