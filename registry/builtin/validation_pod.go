package builtin

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Pod and pod template validation: kube's ValidatePodSpec for the fields users get wrong most,
// with kube's field paths and messages.

var (
	supportedPortProtocols   = sets.New(string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP))
	supportedPullPolicies    = sets.New(string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever))
	supportedRestartPolicies = sets.New(string(corev1.RestartPolicyAlways), string(corev1.RestartPolicyOnFailure), string(corev1.RestartPolicyNever))
	supportedDNSPolicies     = sets.New(string(corev1.DNSClusterFirstWithHostNet), string(corev1.DNSClusterFirst), string(corev1.DNSDefault), string(corev1.DNSNone))
	supportedTermMsgPolicies = sets.New(string(corev1.TerminationMessageReadFile), string(corev1.TerminationMessageFallbackToLogsOnError))
)

// dns1123Label reports value's DNS-1123 label errors at path.
func dns1123Label(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}

// dns1123Subdomain reports value's DNS-1123 subdomain errors at path.
func dns1123Subdomain(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}

// nonNegative checks an optional count.
func nonNegative(v *int32, path *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	return apivalidation.ValidateNonnegativeField(int64(*v), path)
}

// validatePodTemplateSpec checks a template's labels, annotations and pod spec. kube reports
// template labels at <template>.labels, not <template>.metadata.labels; so does kapi.
func validatePodTemplateSpec(t *corev1.PodTemplateSpec, path *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, path.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, path.Child("annotations"))...)
	return append(errs, validatePodSpec(&t.Spec, path.Child("spec"))...)
}

func validatePodSpec(spec *corev1.PodSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes, volErrs := validateVolumes(spec.Volumes, path.Child("volumes"))
	errs = append(errs, volErrs...)

	names := sets.New[string]()
	errs = append(errs, validateContainers(spec.InitContainers, path.Child("initContainers"), volumes, names)...)
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(path.Child("containers"), ""))
	}
	errs = append(errs, validateContainers(spec.Containers, path.Child("containers"), volumes, names)...)

	switch {
	case spec.RestartPolicy == "":
		errs = append(errs, field.Required(path.Child("restartPolicy"), ""))
	case !supportedRestartPolicies.Has(string(spec.RestartPolicy)):
		errs = append(errs, field.NotSupported(path.Child("restartPolicy"), spec.RestartPolicy, sets.List(supportedRestartPolicies)))
	}
	switch {
	case spec.DNSPolicy == "":
		errs = append(errs, field.Required(path.Child("dnsPolicy"), ""))
	case !supportedDNSPolicies.Has(string(spec.DNSPolicy)):
		errs = append(errs, field.NotSupported(path.Child("dnsPolicy"), spec.DNSPolicy, sets.List(supportedDNSPolicies)))
	}
	errs = append(errs, metav1validation.ValidateLabels(spec.NodeSelector, path.Child("nodeSelector"))...)
	if spec.ServiceAccountName != "" {
		errs = append(errs, dns1123Subdomain(spec.ServiceAccountName, path.Child("serviceAccountName"))...)
	}
	if spec.NodeName != "" {
		errs = append(errs, dns1123Subdomain(spec.NodeName, path.Child("nodeName"))...)
	}
	if spec.Hostname != "" {
		errs = append(errs, dns1123Label(spec.Hostname, path.Child("hostname"))...)
	}
	if spec.Subdomain != "" {
		errs = append(errs, dns1123Label(spec.Subdomain, path.Child("subdomain"))...)
	}
	if spec.ActiveDeadlineSeconds != nil && *spec.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(path.Child("activeDeadlineSeconds"), *spec.ActiveDeadlineSeconds, validation.InclusiveRangeError(1, 2147483647)))
	}
	errs = append(errs, validateTolerations(spec.Tolerations, path.Child("tolerations"))...)
	if spec.TerminationGracePeriodSeconds != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*spec.TerminationGracePeriodSeconds, path.Child("terminationGracePeriodSeconds"))...)
	}
	return errs
}

// validateVolumes checks volume names and returns the set of names for volume mounts.
func validateVolumes(volumes []corev1.Volume, path *field.Path) (sets.Set[string], field.ErrorList) {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, v := range volumes {
		errs = append(errs, validateVolumeSource(&v.VolumeSource, path.Index(i))...)
		p := path.Index(i).Child("name")
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(p, ""))
		case names.Has(v.Name):
			errs = append(errs, field.Duplicate(p, v.Name))
		default:
			errs = append(errs, dns1123Label(v.Name, p)...)
		}
		names.Insert(v.Name)
	}
	return names, errs
}

// validateVolumeSource rejects a volume naming more than one source, at the second source's
// path as kube does (defaulting gives a volume without one an emptyDir).
func validateVolumeSource(src *corev1.VolumeSource, path *field.Path) field.ErrorList {
	v := reflect.ValueOf(src).Elem()
	seen := 0
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() != reflect.Pointer || v.Field(i).IsNil() {
			continue
		}
		seen++
		if seen > 1 {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			return field.ErrorList{field.Forbidden(path.Child(name), "may not specify more than 1 volume type")}
		}
	}
	if seen == 0 {
		return field.ErrorList{field.Required(path, "must specify a volume type")}
	}
	return nil
}

// validateContainers checks a list of containers; names must be unique across all of a pod's
// lists, so the caller shares names.
func validateContainers(containers []corev1.Container, path *field.Path, volumes, names sets.Set[string]) field.ErrorList {
	var errs field.ErrorList
	for i := range containers {
		c := &containers[i]
		p := path.Index(i)
		switch {
		case c.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		default:
			errs = append(errs, dns1123Label(c.Name, p.Child("name"))...)
			if names.Has(c.Name) {
				errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
			}
			names.Insert(c.Name)
		}
		if c.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		errs = append(errs, validateContainerPorts(c.Ports, p.Child("ports"))...)
		switch {
		case c.ImagePullPolicy == "":
			errs = append(errs, field.Required(p.Child("imagePullPolicy"), ""))
		case !supportedPullPolicies.Has(string(c.ImagePullPolicy)):
			errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, sets.List(supportedPullPolicies)))
		}
		switch {
		case c.TerminationMessagePolicy == "":
			errs = append(errs, field.Required(p.Child("terminationMessagePolicy"), ""))
		case !supportedTermMsgPolicies.Has(string(c.TerminationMessagePolicy)):
			errs = append(errs, field.NotSupported(p.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, sets.List(supportedTermMsgPolicies)))
		}
		for j, e := range c.Env {
			ep := p.Child("env").Index(j).Child("name")
			if e.Name == "" {
				errs = append(errs, field.Required(ep, ""))
				continue
			}
			for _, msg := range validation.IsRelaxedEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(ep, e.Name, msg))
			}
		}
		for j, m := range c.VolumeMounts {
			mp := p.Child("volumeMounts").Index(j)
			switch {
			case m.Name == "":
				errs = append(errs, field.Required(mp.Child("name"), ""))
			case !volumes.Has(m.Name):
				errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
			}
			if m.MountPath == "" {
				errs = append(errs, field.Required(mp.Child("mountPath"), ""))
			}
		}
		errs = append(errs, validateResources(&c.Resources, p.Child("resources"))...)
		errs = append(errs, validateProbe(c.LivenessProbe, p.Child("livenessProbe"), true)...)
		errs = append(errs, validateProbe(c.ReadinessProbe, p.Child("readinessProbe"), false)...)
		errs = append(errs, validateProbe(c.StartupProbe, p.Child("startupProbe"), true)...)
	}
	return errs
}

// validateProbe checks that a probe has exactly one handler and sane thresholds; liveness and
// startup probes must succeed once to count.
func validateProbe(pr *corev1.Probe, path *field.Path, mustSucceedOnce bool) field.ErrorList {
	if pr == nil {
		return nil
	}
	var errs field.ErrorList
	handlers := 0
	for _, set := range []bool{pr.Exec != nil, pr.HTTPGet != nil, pr.TCPSocket != nil, pr.GRPC != nil} {
		if set {
			handlers++
		}
	}
	switch {
	case handlers == 0:
		errs = append(errs, field.Required(path, "must specify a handler type"))
	case handlers > 1:
		errs = append(errs, field.Forbidden(path, "may not specify more than 1 handler type"))
	}
	for _, f := range []struct {
		name  string
		value int32
	}{
		{"initialDelaySeconds", pr.InitialDelaySeconds}, {"timeoutSeconds", pr.TimeoutSeconds},
		{"periodSeconds", pr.PeriodSeconds}, {"successThreshold", pr.SuccessThreshold}, {"failureThreshold", pr.FailureThreshold},
	} {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(f.value), path.Child(f.name))...)
	}
	if mustSucceedOnce && pr.SuccessThreshold != 1 {
		errs = append(errs, field.Invalid(path.Child("successThreshold"), pr.SuccessThreshold, "must be 1"))
	}
	return errs
}

func validateContainerPorts(ports []corev1.ContainerPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, port := range ports {
		p := path.Index(i)
		if port.Name != "" {
			if msgs := validation.IsValidPortName(port.Name); len(msgs) != 0 {
				for _, msg := range msgs {
					errs = append(errs, field.Invalid(p.Child("name"), port.Name, msg))
				}
			} else if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(p.Child("name"), port.Name))
			} else {
				names.Insert(port.Name)
			}
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(p.Child("containerPort"), ""))
		} else {
			for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(p.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(p.Child("hostPort"), port.HostPort, msg))
			}
		}
		errs = append(errs, validateProtocol(port.Protocol, p.Child("protocol"))...)
	}
	return errs
}

func validateProtocol(proto corev1.Protocol, path *field.Path) field.ErrorList {
	switch {
	case proto == "":
		return field.ErrorList{field.Required(path, "")}
	case !supportedPortProtocols.Has(string(proto)):
		return field.ErrorList{field.NotSupported(path, proto, sets.List(supportedPortProtocols))}
	}
	return nil
}

// validateResources checks that no request exceeds its limit.
func validateResources(r *corev1.ResourceRequirements, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, q := range r.Requests {
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(path.Child("requests").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
		if limit, ok := r.Limits[name]; ok && q.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(path.Child("requests").Key(string(name)), q.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	for name, q := range r.Limits {
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(path.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

func validatePod(p *corev1.Pod) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validatePodSpec(&p.Spec, spec)
	// Pods only: templates keep accepting images such as " ", which some tools use as a token.
	for _, list := range []struct {
		name       string
		containers []corev1.Container
	}{{"initContainers", p.Spec.InitContainers}, {"containers", p.Spec.Containers}} {
		for i, c := range list.containers {
			if strings.TrimSpace(c.Image) != c.Image {
				errs = append(errs, field.Invalid(spec.Child(list.name).Index(i).Child("image"), c.Image, "must not have leading or trailing whitespace"))
			}
		}
	}
	return errs
}

// validatePodUpdate enforces kube's rule that a pod's spec is immutable but for container
// images, activeDeadlineSeconds (only lowered), added tolerations and a negative grace period
// raised to 1.
func validatePodUpdate(p, old *corev1.Pod) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if len(p.Spec.Containers) != len(old.Spec.Containers) {
		return append(errs, field.Forbidden(spec.Child("containers"), "pod updates may not add or remove containers"))
	}
	if len(p.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return append(errs, field.Forbidden(spec.Child("initContainers"), "pod updates may not add or remove containers"))
	}
	if old.Spec.ActiveDeadlineSeconds != nil {
		switch {
		case p.Spec.ActiveDeadlineSeconds == nil:
			errs = append(errs, field.Invalid(spec.Child("activeDeadlineSeconds"), p.Spec.ActiveDeadlineSeconds, "must not update from a positive integer to nil value"))
		case *p.Spec.ActiveDeadlineSeconds > *old.Spec.ActiveDeadlineSeconds:
			errs = append(errs, field.Invalid(spec.Child("activeDeadlineSeconds"), p.Spec.ActiveDeadlineSeconds, "must be less than or equal to previous value"))
		}
	}
	errs = append(errs, validateOnlyAddedTolerations(p.Spec.Tolerations, old.Spec.Tolerations, spec.Child("tolerations"))...)

	munged := p.Spec.DeepCopy()
	for i := range munged.Containers {
		munged.Containers[i].Image = old.Spec.Containers[i].Image
	}
	for i := range munged.InitContainers {
		munged.InitContainers[i].Image = old.Spec.InitContainers[i].Image
	}
	munged.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	munged.Tolerations = old.Spec.Tolerations
	munged.SchedulingGates = old.Spec.SchedulingGates
	if g := old.Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 && munged.TerminationGracePeriodSeconds != nil && *munged.TerminationGracePeriodSeconds == 1 {
		munged.TerminationGracePeriodSeconds = g
	}
	if !apiequality.Semantic.DeepEqual(*munged, old.Spec) {
		errs = append(errs, field.Forbidden(spec, fmt.Sprintf("pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n%v", cmp.Diff(old.Spec, *munged))))
	}
	return errs
}

// validateOnlyAddedTolerations lets an update add tolerations and change an existing one's
// tolerationSeconds, nothing else.
func validateOnlyAddedTolerations(tols, oldTols []corev1.Toleration, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, old := range oldTols {
		found := false
		o := old
		o.TolerationSeconds = nil
		for _, t := range tols {
			t.TolerationSeconds = nil
			if apiequality.Semantic.DeepEqual(t, o) {
				found = true
				break
			}
		}
		if !found {
			errs = append(errs, field.Forbidden(path, "existing toleration can not be modified except its tolerationSeconds"))
			return errs
		}
	}
	return errs
}
