package builtin

import (
	"math"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Defaults of kube's apps/v1 and batch/v1 defaulters. apps/v1 copies no labels between template,
// selector and object (only the older API versions did).

func int32Ptr(v int32) *int32 { return &v }

func defaultDeployment(d *appsv1.Deployment) {
	if d.Spec.Replicas == nil {
		d.Spec.Replicas = int32Ptr(1)
	}
	if d.Spec.Strategy.Type == "" {
		d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if d.Spec.Strategy.RollingUpdate == nil {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		quarter := intstr.FromString("25%")
		if d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil {
			v := quarter
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = &v
		}
		if d.Spec.Strategy.RollingUpdate.MaxSurge == nil {
			v := quarter
			d.Spec.Strategy.RollingUpdate.MaxSurge = &v
		}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		d.Spec.RevisionHistoryLimit = int32Ptr(10)
	}
	if d.Spec.ProgressDeadlineSeconds == nil {
		d.Spec.ProgressDeadlineSeconds = int32Ptr(600)
	}
	defaultPodSpec(&d.Spec.Template.Spec)
}

func defaultReplicaSet(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = int32Ptr(1)
	}
	defaultPodSpec(&rs.Spec.Template.Spec)
}

func defaultStatefulSet(s *appsv1.StatefulSet) {
	if s.Spec.PodManagementPolicy == "" {
		s.Spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if s.Spec.UpdateStrategy.Type == "" {
		s.Spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
	}
	if s.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType {
		if s.Spec.UpdateStrategy.RollingUpdate == nil {
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
		if s.Spec.UpdateStrategy.RollingUpdate.Partition == nil {
			s.Spec.UpdateStrategy.RollingUpdate.Partition = int32Ptr(0)
		}
	}
	if s.Spec.PersistentVolumeClaimRetentionPolicy == nil {
		s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if s.Spec.Replicas == nil {
		s.Spec.Replicas = int32Ptr(1)
	}
	if s.Spec.RevisionHistoryLimit == nil {
		s.Spec.RevisionHistoryLimit = int32Ptr(10)
	}
	for i := range s.Spec.VolumeClaimTemplates {
		t := &s.Spec.VolumeClaimTemplates[i]
		defaultPersistentVolumeClaimSpec(&t.Spec)
		if t.Status.Phase == "" {
			t.Status.Phase = corev1.ClaimPending
		}
	}
	defaultPodSpec(&s.Spec.Template.Spec)
}

func defaultDaemonSet(ds *appsv1.DaemonSet) {
	if ds.Spec.UpdateStrategy.Type == "" {
		ds.Spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if ds.Spec.UpdateStrategy.RollingUpdate == nil {
			ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			one := intstr.FromInt32(1)
			ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &one
		}
		if ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge == nil {
			zero := intstr.FromInt32(0)
			ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge = &zero
		}
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = int32Ptr(10)
	}
	defaultPodSpec(&ds.Spec.Template.Spec)
}

func defaultJob(j *batchv1.Job) {
	// A job that sets neither completions nor parallelism runs one pod to completion.
	if j.Spec.Completions == nil && j.Spec.Parallelism == nil {
		j.Spec.Completions = int32Ptr(1)
		j.Spec.Parallelism = int32Ptr(1)
	}
	if j.Spec.Parallelism == nil {
		j.Spec.Parallelism = int32Ptr(1)
	}
	if j.Spec.BackoffLimit == nil {
		if j.Spec.BackoffLimitPerIndex != nil {
			j.Spec.BackoffLimit = int32Ptr(math.MaxInt32)
		} else {
			j.Spec.BackoffLimit = int32Ptr(6)
		}
	}
	if j.Spec.Template.Labels != nil && len(j.Labels) == 0 {
		j.Labels = j.Spec.Template.Labels
	}
	if j.Spec.CompletionMode == nil {
		m := batchv1.NonIndexedCompletion
		j.Spec.CompletionMode = &m
	}
	if j.Spec.Suspend == nil {
		f := false
		j.Spec.Suspend = &f
	}
	if j.Spec.PodReplacementPolicy == nil {
		p := batchv1.TerminatingOrFailed
		if j.Spec.PodFailurePolicy != nil {
			p = batchv1.Failed
		}
		j.Spec.PodReplacementPolicy = &p
	}
	if pfp := j.Spec.PodFailurePolicy; pfp != nil {
		for i := range pfp.Rules {
			for k := range pfp.Rules[i].OnPodConditions {
				if pfp.Rules[i].OnPodConditions[k].Status == "" {
					pfp.Rules[i].OnPodConditions[k].Status = corev1.ConditionTrue
				}
			}
		}
	}
	defaultPodSpec(&j.Spec.Template.Spec)
}

func defaultCronJob(cj *batchv1.CronJob) {
	if cj.Spec.ConcurrencyPolicy == "" {
		cj.Spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if cj.Spec.Suspend == nil {
		f := false
		cj.Spec.Suspend = &f
	}
	if cj.Spec.SuccessfulJobsHistoryLimit == nil {
		cj.Spec.SuccessfulJobsHistoryLimit = int32Ptr(3)
	}
	if cj.Spec.FailedJobsHistoryLimit == nil {
		cj.Spec.FailedJobsHistoryLimit = int32Ptr(1)
	}
	defaultPodSpec(&cj.Spec.JobTemplate.Spec.Template.Spec)
}
