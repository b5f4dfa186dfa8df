package builtin

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones of cron jobs are validated without the host's zoneinfo

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of apps/v1 and batch/v1 workloads.

// validateWorkloadSelector checks a required, non-empty label selector that must match the pod
// template's labels. emptyMessage is kube's per-kind message for an empty selector.
func validateWorkloadSelector(sel *metav1.LabelSelector, template *corev1.PodTemplateSpec, spec *field.Path, emptyMessage string) field.ErrorList {
	var errs field.ErrorList
	sp := spec.Child("selector")
	if sel == nil {
		return append(errs, field.Required(sp, ""))
	}
	errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, sp)...)
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 && emptyMessage != "" {
		errs = append(errs, field.Invalid(sp, sel, emptyMessage))
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return append(errs, field.Invalid(sp, sel, "invalid label selector"))
	}
	if !selector.Empty() && !selector.Matches(labels.Set(template.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), template.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

func validateDeployment(d *appsv1.Deployment) field.ErrorList {
	spec := field.NewPath("spec")
	errs := nonNegative(d.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, validateWorkloadSelector(d.Spec.Selector, &d.Spec.Template, spec, "empty selector is invalid for deployment")...)
	errs = append(errs, validatePodTemplateSpec(&d.Spec.Template, spec.Child("template"))...)
	errs = append(errs, validateReplicatedTemplate(&d.Spec.Template.Spec, spec.Child("template", "spec"), "ReplicaSet")...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(d.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, nonNegative(d.Spec.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))...)
	if p := d.Spec.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, nonNegative(p, spec.Child("progressDeadlineSeconds"))...)
		if *p <= d.Spec.MinReadySeconds {
			errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	sp := spec.Child("strategy")
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if d.Spec.Strategy.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
			errs = append(errs, validateRollingUpdate(ru.MaxUnavailable, ru.MaxSurge, sp.Child("rollingUpdate"))...)
		}
	default:
		errs = append(errs, field.NotSupported(sp.Child("type"), d.Spec.Strategy.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
	}
	return errs
}

// validateRollingUpdate checks maxUnavailable and maxSurge: non-negative numbers or percents,
// maxUnavailable at most 100%, and not both zero.
func validateRollingUpdate(maxUnavailable, maxSurge *intstr.IntOrString, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	check := func(v *intstr.IntOrString, p *field.Path) {
		if v == nil {
			return
		}
		if v.Type == intstr.String {
			for _, msg := range validation.IsValidPercent(v.StrVal) {
				errs = append(errs, field.Invalid(p, v, msg))
			}
			return
		}
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(v.IntValue()), p)...)
	}
	check(maxUnavailable, path.Child("maxUnavailable"))
	check(maxSurge, path.Child("maxSurge"))
	if maxUnavailable != nil && maxUnavailable.Type == intstr.String && percent(maxUnavailable.StrVal) > 100 {
		errs = append(errs, field.Invalid(path.Child("maxUnavailable"), maxUnavailable, "must not be greater than 100%"))
	}
	if isZero(maxUnavailable) && isZero(maxSurge) {
		errs = append(errs, field.Invalid(path.Child("maxUnavailable"), maxUnavailable, "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

func percent(s string) int {
	var n int
	if _, err := fmt.Sscanf(strings.TrimSuffix(s, "%"), "%d", &n); err != nil {
		return 0
	}
	return n
}

func isZero(v *intstr.IntOrString) bool {
	if v == nil {
		return false
	}
	if v.Type == intstr.String {
		return percent(v.StrVal) == 0 && strings.HasSuffix(v.StrVal, "%")
	}
	return v.IntValue() == 0
}

func validateSelectorUpdate(sel, old *metav1.LabelSelector) field.ErrorList {
	return apivalidation.ValidateImmutableField(sel, old, field.NewPath("spec", "selector"))
}

func validateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := nonNegative(rs.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(rs.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
	// kube's replica set validation reuses the deployment's message.
	errs = append(errs, validateWorkloadSelector(rs.Spec.Selector, &rs.Spec.Template, spec, "empty selector is invalid for deployment")...)
	errs = append(errs, validatePodTemplateSpec(&rs.Spec.Template, spec.Child("template"))...)
	return append(errs, validateReplicatedTemplate(&rs.Spec.Template.Spec, spec.Child("template", "spec"), "ReplicaSet")...)
}

var supportedPodManagementPolicies = sets.New(string(appsv1.OrderedReadyPodManagement), string(appsv1.ParallelPodManagement))

func validateStatefulSet(s *appsv1.StatefulSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := nonNegative(s.Spec.Replicas, spec.Child("replicas"))
	if p := s.Spec.PodManagementPolicy; p != "" && !supportedPodManagementPolicies.Has(string(p)) {
		errs = append(errs, field.NotSupported(spec.Child("podManagementPolicy"), p, sets.List(supportedPodManagementPolicies)))
	}
	switch s.Spec.UpdateStrategy.Type {
	case appsv1.RollingUpdateStatefulSetStrategyType, "":
		if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			errs = append(errs, nonNegative(ru.Partition, spec.Child("updateStrategy", "rollingUpdate", "partition"))...)
		}
	case appsv1.OnDeleteStatefulSetStrategyType:
		if s.Spec.UpdateStrategy.RollingUpdate != nil {
			errs = append(errs, field.Invalid(spec.Child("updateStrategy", "rollingUpdate"), s.Spec.UpdateStrategy.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	default:
		errs = append(errs, field.Invalid(spec.Child("updateStrategy"), s.Spec.UpdateStrategy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}
	errs = append(errs, validateWorkloadSelector(s.Spec.Selector, &s.Spec.Template, spec, "empty selector is invalid for statefulset")...)
	// kube does not validate a stateful set's pod spec: its volume mounts may name volume claim
	// templates, which are not volumes. Only the template's labels and annotations are checked
	// (at kube's paths, spec.template.labels and spec.template.annotations).
	tpath := spec.Child("template")
	errs = append(errs, metav1validation.ValidateLabels(s.Spec.Template.Labels, tpath.Child("labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(s.Spec.Template.Annotations, tpath.Child("annotations"))...)
	return append(errs, validateReplicatedTemplate(&s.Spec.Template.Spec, tpath.Child("spec"), "StatefulSet")...)
}

// validateStatefulSetUpdate allows only kube's mutable spec fields to change.
func validateStatefulSetUpdate(s, old *appsv1.StatefulSet) field.ErrorList {
	munged := s.Spec.DeepCopy()
	munged.Replicas = old.Spec.Replicas
	munged.Ordinals = old.Spec.Ordinals
	munged.Template = old.Spec.Template
	munged.UpdateStrategy = old.Spec.UpdateStrategy
	munged.MinReadySeconds = old.Spec.MinReadySeconds
	munged.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit
	munged.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy
	if !apiequality.Semantic.DeepEqual(*munged, old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")}
	}
	return nil
}

func validateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateWorkloadSelector(ds.Spec.Selector, &ds.Spec.Template, spec, "empty selector is invalid for daemonset")
	errs = append(errs, validatePodTemplateSpec(&ds.Spec.Template, spec.Child("template"))...)
	errs = append(errs, validateReplicatedTemplate(&ds.Spec.Template.Spec, spec.Child("template", "spec"), "DaemonSet")...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(ds.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
	errs = append(errs, nonNegative(ds.Spec.RevisionHistoryLimit, spec.Child("revisionHistoryLimit"))...)
	us := spec.Child("updateStrategy")
	switch ds.Spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			errs = append(errs, validateRollingUpdate(ru.MaxUnavailable, ru.MaxSurge, us.Child("rollingUpdate"))...)
		}
	default:
		errs = append(errs, field.NotSupported(us.Child("type"), ds.Spec.UpdateStrategy.Type, []string{string(appsv1.OnDeleteDaemonSetStrategyType), string(appsv1.RollingUpdateDaemonSetStrategyType)}))
	}
	return errs
}

func validateJob(j *batchv1.Job) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateJobSpec(&j.Spec, spec)
	if j.Spec.Selector == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, validateWorkloadSelector(j.Spec.Selector, &j.Spec.Template, spec, "")...)
	}
	return errs
}

// validateJobSpec checks what a job and a cron job's job template share.
func validateJobSpec(s *batchv1.JobSpec, spec *field.Path) field.ErrorList {
	errs := nonNegative(s.Parallelism, spec.Child("parallelism"))
	errs = append(errs, nonNegative(s.Completions, spec.Child("completions"))...)
	errs = append(errs, nonNegative(s.BackoffLimit, spec.Child("backoffLimit"))...)
	if s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(spec.Child("activeDeadlineSeconds"), *s.ActiveDeadlineSeconds, "must be greater than 0"))
	}
	if s.TTLSecondsAfterFinished != nil {
		errs = append(errs, nonNegative(s.TTLSecondsAfterFinished, spec.Child("ttlSecondsAfterFinished"))...)
	}
	if s.CompletionMode != nil && *s.CompletionMode != batchv1.NonIndexedCompletion && *s.CompletionMode != batchv1.IndexedCompletion {
		errs = append(errs, field.NotSupported(spec.Child("completionMode"), *s.CompletionMode, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
	}
	if s.CompletionMode != nil && *s.CompletionMode == batchv1.IndexedCompletion && s.Completions == nil {
		errs = append(errs, field.Required(spec.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
	}
	tpath := spec.Child("template")
	errs = append(errs, validatePodTemplateSpec(&s.Template, tpath)...)
	if rp := s.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever {
		errs = append(errs, field.NotSupported(tpath.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	}
	return errs
}

// validateJobUpdate: a job's selector, template (unless suspended), completion mode and
// (for non-indexed jobs) completions are immutable.
func validateJobUpdate(j, old *batchv1.Job) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateSelectorUpdate(j.Spec.Selector, old.Spec.Selector)
	errs = append(errs, apivalidation.ValidateImmutableField(j.Spec.CompletionMode, old.Spec.CompletionMode, spec.Child("completionMode"))...)
	if j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != batchv1.IndexedCompletion {
		errs = append(errs, apivalidation.ValidateImmutableField(j.Spec.Completions, old.Spec.Completions, spec.Child("completions"))...)
	}
	suspendedNeverStarted := deref(old.Spec.Suspend) && old.Status.StartTime == nil
	if !suspendedNeverStarted {
		errs = append(errs, apivalidation.ValidateImmutableField(j.Spec.Template, old.Spec.Template, spec.Child("template"))...)
	}
	return errs
}

var supportedConcurrencyPolicies = sets.New(string(batchv1.AllowConcurrent), string(batchv1.ForbidConcurrent), string(batchv1.ReplaceConcurrent))

// maxCronJobNameLength leaves room in a DNS-1035 label (63) for the 11 characters the cron
// job controller appends to name its jobs.
const maxCronJobNameLength = 52

func validateCronJob(cj *batchv1.CronJob) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if len(cj.Name) > maxCronJobNameLength {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), cj.Name, fmt.Sprintf("must be no more than %d characters", maxCronJobNameLength)))
	}
	if cj.Spec.Schedule == "" {
		errs = append(errs, field.Required(spec.Child("schedule"), ""))
	} else {
		errs = append(errs, validateSchedule(cj.Spec.Schedule, spec.Child("schedule"))...)
	}
	switch p := cj.Spec.ConcurrencyPolicy; {
	case p == "":
		errs = append(errs, field.Required(spec.Child("concurrencyPolicy"), ""))
	case !supportedConcurrencyPolicies.Has(string(p)):
		errs = append(errs, field.NotSupported(spec.Child("concurrencyPolicy"), p, sets.List(supportedConcurrencyPolicies)))
	}
	errs = append(errs, validateTimeZone(cj.Spec.TimeZone, spec.Child("timeZone"))...)
	if cj.Spec.StartingDeadlineSeconds != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*cj.Spec.StartingDeadlineSeconds, spec.Child("startingDeadlineSeconds"))...)
	}
	errs = append(errs, nonNegative(cj.Spec.SuccessfulJobsHistoryLimit, spec.Child("successfulJobsHistoryLimit"))...)
	errs = append(errs, nonNegative(cj.Spec.FailedJobsHistoryLimit, spec.Child("failedJobsHistoryLimit"))...)
	return append(errs, validateJobSpec(&cj.Spec.JobTemplate.Spec, spec.Child("jobTemplate", "spec"))...)
}

// validateTimeZone checks a cron job's IANA time zone; time/tzdata is linked in, as in kube, so
// the answer does not depend on the host's zoneinfo files.
func validateTimeZone(tz *string, path *field.Path) field.ErrorList {
	switch {
	case tz == nil:
		return nil
	case *tz == "":
		return field.ErrorList{field.Invalid(path, *tz, "timeZone must be nil or non-empty string")}
	case strings.EqualFold(*tz, "Local"):
		return field.ErrorList{field.Invalid(path, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")}
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		return field.ErrorList{field.Invalid(path, *tz, err.Error())}
	}
	return nil
}

// validateSchedule checks a cron schedule's shape: five fields or a descriptor such as @hourly,
// and no TZ or CRON_TZ prefix (spec.timeZone says that). Field contents are not parsed.
func validateSchedule(s string, path *field.Path) field.ErrorList {
	if strings.Contains(s, "TZ") {
		return field.ErrorList{field.Invalid(path, s, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")}
	}
	if strings.HasPrefix(s, "@") {
		switch s {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return nil
		}
		if strings.HasPrefix(s, "@every ") {
			return nil
		}
		return field.ErrorList{field.Invalid(path, s, fmt.Sprintf("unrecognized descriptor: %s", s))}
	}
	if f := strings.Fields(s); len(f) != 5 {
		return field.ErrorList{field.Invalid(path, s, fmt.Sprintf("expected exactly 5 fields, found %d: %s", len(f), s))}
	}
	return nil
}
