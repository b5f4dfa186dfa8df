package builtin

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

func init() {
	register(gvr("apps", "deployments"), deploymentColumns, typedRow(deploymentRow))
	register(gvr("apps", "replicasets"), replicaSetColumns, typedRow(replicaSetRow))
	register(gvr("apps", "statefulsets"), statefulSetColumns, typedRow(statefulSetRow))
	register(gvr("apps", "daemonsets"), daemonSetColumns, typedRow(daemonSetRow))
	register(gvr("apps", "controllerrevisions"), controllerRevisionColumns, typedRow(controllerRevisionRow))
	register(gvr("batch", "jobs"), jobColumns, typedRow(jobRow))
	register(gvr("batch", "cronjobs"), cronJobColumns, typedRow(cronJobRow))
}

const readyDescription = "Number of the pod with ready state"

func deploymentColumns() []metav1.TableColumnDefinition {
	status := appsv1.DeploymentStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Ready", "string", readyDescription, 0),
		column("Up-to-date", "string", status["updatedReplicas"], 0),
		column("Available", "string", status["availableReplicas"], 0),
		ageColumn,
	}, templateColumns(appsv1.DeploymentSpec{}.SwaggerDoc()["selector"])...)
}

func deploymentRow(d *appsv1.Deployment) []interface{} {
	containers, images := podTemplateCells(d.Spec.Template.Spec)
	return []interface{}{
		d.Name,
		fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, deref(d.Spec.Replicas)),
		int64(d.Status.UpdatedReplicas),
		int64(d.Status.AvailableReplicas),
		age(d.CreationTimestamp),
		containers,
		images,
		metav1.FormatLabelSelector(d.Spec.Selector),
	}
}

func replicaSetColumns() []metav1.TableColumnDefinition {
	spec := appsv1.ReplicaSetSpec{}.SwaggerDoc()
	status := appsv1.ReplicaSetStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Desired", "integer", spec["replicas"], 0),
		column("Current", "integer", status["replicas"], 0),
		column("Ready", "integer", status["readyReplicas"], 0),
		ageColumn,
	}, templateColumns(spec["selector"])...)
}

func replicaSetRow(rs *appsv1.ReplicaSet) []interface{} {
	containers, images := podTemplateCells(rs.Spec.Template.Spec)
	return []interface{}{
		rs.Name,
		int64(deref(rs.Spec.Replicas)),
		int64(rs.Status.Replicas),
		int64(rs.Status.ReadyReplicas),
		age(rs.CreationTimestamp),
		containers,
		images,
		metav1.FormatLabelSelector(rs.Spec.Selector),
	}
}

func statefulSetColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Ready", "string", readyDescription, 0),
		ageColumn,
		column("Containers", "string", "Names of each container in the template.", 1),
		column("Images", "string", "Images referenced by each container in the template.", 1),
	}
}

func statefulSetRow(s *appsv1.StatefulSet) []interface{} {
	containers, images := podTemplateCells(s.Spec.Template.Spec)
	return []interface{}{
		s.Name,
		fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, deref(s.Spec.Replicas)),
		age(s.CreationTimestamp),
		containers,
		images,
	}
}

func daemonSetColumns() []metav1.TableColumnDefinition {
	status := appsv1.DaemonSetStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Desired", "integer", status["desiredNumberScheduled"], 0),
		column("Current", "integer", status["currentNumberScheduled"], 0),
		column("Ready", "integer", status["numberReady"], 0),
		column("Up-to-date", "integer", status["updatedNumberScheduled"], 0),
		column("Available", "integer", status["numberAvailable"], 0),
		column("Node Selector", "string", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"], 0),
		ageColumn,
	}, templateColumns(appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"])...)
}

func daemonSetRow(ds *appsv1.DaemonSet) []interface{} {
	containers, images := podTemplateCells(ds.Spec.Template.Spec)
	return []interface{}{
		ds.Name,
		int64(ds.Status.DesiredNumberScheduled),
		int64(ds.Status.CurrentNumberScheduled),
		int64(ds.Status.NumberReady),
		int64(ds.Status.UpdatedNumberScheduled),
		int64(ds.Status.NumberAvailable),
		labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
		age(ds.CreationTimestamp),
		containers,
		images,
		metav1.FormatLabelSelector(ds.Spec.Selector),
	}
}

func controllerRevisionColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		column("Controller", "string", "Controller of the object", 0),
		column("Revision", "integer", appsv1.ControllerRevision{}.SwaggerDoc()["revision"], 0),
		ageColumn,
	}
}

func controllerRevisionRow(cr *appsv1.ControllerRevision) []interface{} {
	return []interface{}{cr.Name, controllerName(cr), cr.Revision, age(cr.CreationTimestamp)}
}

// controllerName renders an object's controller as kind.group/name, lower-cased, or "<none>".
func controllerName(obj metav1.Object) string {
	ref := metav1.GetControllerOf(obj)
	if ref == nil {
		return "<none>"
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return "<none>"
	}
	gk := gv.WithKind(ref.Kind).GroupKind()
	if gk.Empty() {
		return ref.Name
	}
	return strings.ToLower(gk.String()) + "/" + ref.Name
}

func jobColumns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Status", "string", "Status of the job.", 0),
		column("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"], 0),
		column("Duration", "string", "Time required to complete the job.", 0),
		ageColumn,
	}, templateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"])...)
}

func jobRow(j *batchv1.Job) []interface{} {
	var completions string
	switch parallelism := deref(j.Spec.Parallelism); {
	case j.Spec.Completions != nil:
		completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	case parallelism > 1:
		completions = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, parallelism)
	default:
		completions = fmt.Sprintf("%d/1", j.Status.Succeeded)
	}
	var took string
	switch {
	case j.Status.StartTime == nil:
	case j.Status.CompletionTime == nil:
		took = duration.HumanDuration(time.Since(j.Status.StartTime.Time))
	default:
		took = duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
	}
	containers, images := podTemplateCells(j.Spec.Template.Spec)
	return []interface{}{
		j.Name,
		jobStatus(j),
		completions,
		took,
		age(j.CreationTimestamp),
		containers,
		images,
		metav1.FormatLabelSelector(j.Spec.Selector),
	}
}

// jobStatus is kubectl's STATUS cell: the first true condition in order of importance.
func jobStatus(j *batchv1.Job) string {
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range j.Status.Conditions {
			if c.Type == t && c.Status == "True" {
				return true
			}
		}
		return false
	}
	switch {
	case has(batchv1.JobComplete):
		return "Complete"
	case has(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case has(batchv1.JobSuspended):
		return "Suspended"
	case has(batchv1.JobFailureTarget):
		return "FailureTarget"
	case has(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

func cronJobColumns() []metav1.TableColumnDefinition {
	spec := batchv1.CronJobSpec{}.SwaggerDoc()
	status := batchv1.CronJobStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{
		nameColumn,
		column("Schedule", "string", spec["schedule"], 0),
		column("Timezone", "string", spec["timeZone"], 0),
		column("Suspend", "boolean", spec["suspend"], 0),
		column("Active", "integer", status["active"], 0),
		column("Last Schedule", "string", status["lastScheduleTime"], 0),
		ageColumn,
	}, templateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"])...)
}

func cronJobRow(cj *batchv1.CronJob) []interface{} {
	last := "<none>"
	if cj.Status.LastScheduleTime != nil {
		last = age(*cj.Status.LastScheduleTime)
	}
	tz := "<none>"
	if cj.Spec.TimeZone != nil {
		tz = *cj.Spec.TimeZone
	}
	suspend := "<unset>"
	if cj.Spec.Suspend != nil {
		suspend = "False"
		if *cj.Spec.Suspend {
			suspend = "True"
		}
	}
	containers, images := podTemplateCells(cj.Spec.JobTemplate.Spec.Template.Spec)
	return []interface{}{
		cj.Name,
		cj.Spec.Schedule,
		tz,
		suspend,
		int64(len(cj.Status.Active)),
		last,
		age(cj.CreationTimestamp),
		containers,
		images,
		metav1.FormatLabelSelector(cj.Spec.JobTemplate.Spec.Selector),
	}
}
