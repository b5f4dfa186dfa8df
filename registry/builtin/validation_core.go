package builtin

import (
	"encoding/json"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of core/v1 resources other than pods.

// maxDataSize is kube's limit on a ConfigMap's or Secret's total data.
const maxDataSize = 1 * 1024 * 1024

var (
	supportedServiceTypes = sets.New(string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeNodePort),
		string(corev1.ServiceTypeLoadBalancer), string(corev1.ServiceTypeExternalName))
	supportedSessionAffinity = sets.New(string(corev1.ServiceAffinityClientIP), string(corev1.ServiceAffinityNone))
)

func validateConfigMap(cm *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for key, v := range cm.Data {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, msg))
		}
		size += len(v)
	}
	for key, v := range cm.BinaryData {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(key), key, msg))
		}
		if _, dup := cm.Data[key]; dup {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(key), key, "duplicate of key present in data"))
		}
		size += len(v)
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", maxDataSize))
	}
	return errs
}

// validateImmutableData rejects changes to data of an object marked immutable.
func validateImmutableData(immutable, oldImmutable *bool, data, oldData, binary, oldBinary interface{}) field.ErrorList {
	if oldImmutable == nil || !*oldImmutable {
		return nil
	}
	const msg = "field is immutable when `immutable` is set"
	var errs field.ErrorList
	if immutable == nil || !*immutable {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), msg))
	}
	if !reflect.DeepEqual(data, oldData) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), msg))
	}
	if binary != nil && !reflect.DeepEqual(binary, oldBinary) {
		errs = append(errs, field.Forbidden(field.NewPath("binaryData"), msg))
	}
	return errs
}

func validateConfigMapUpdate(cm, old *corev1.ConfigMap) field.ErrorList {
	return validateImmutableData(cm.Immutable, old.Immutable, cm.Data, old.Data, cm.BinaryData, old.BinaryData)
}

func validateSecret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	data := field.NewPath("data")
	size := 0
	for key, v := range s.Data {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(data.Key(key), key, msg))
		}
		size += len(v)
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", maxDataSize))
	}
	required := func(keys ...string) {
		for _, k := range keys {
			if _, ok := s.Data[k]; !ok {
				errs = append(errs, field.Required(data.Key(k), ""))
			}
		}
	}
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		required(corev1.DockerConfigKey)
		errs = append(errs, validateJSONKey(s.Data, corev1.DockerConfigKey, data)...)
	case corev1.SecretTypeDockerConfigJson:
		required(corev1.DockerConfigJsonKey)
		errs = append(errs, validateJSONKey(s.Data, corev1.DockerConfigJsonKey, data)...)
	case corev1.SecretTypeBasicAuth:
		_, user := s.Data[corev1.BasicAuthUsernameKey]
		_, pass := s.Data[corev1.BasicAuthPasswordKey]
		if !user && !pass {
			required(corev1.BasicAuthUsernameKey, corev1.BasicAuthPasswordKey)
		}
	case corev1.SecretTypeSSHAuth:
		required(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeTLS:
		required(corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	return errs
}

// validateJSONKey checks that a docker config key holds JSON, without echoing the secret.
func validateJSONKey(d map[string][]byte, key string, path *field.Path) field.ErrorList {
	v, ok := d[key]
	if !ok {
		return nil
	}
	var out map[string]interface{}
	if err := json.Unmarshal(v, &out); err != nil {
		return field.ErrorList{field.Invalid(path.Key(key), "<secret contents redacted>", err.Error())}
	}
	return nil
}

func validateSecretUpdate(s, old *corev1.Secret) field.ErrorList {
	errs := apivalidation.ValidateImmutableField(s.Type, old.Type, field.NewPath("type"))
	return append(errs, validateImmutableData(s.Immutable, old.Immutable, s.Data, old.Data, nil, nil)...)
}

func validateService(svc *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	switch {
	case svc.Spec.Type == "":
		errs = append(errs, field.Required(spec.Child("type"), ""))
	case !supportedServiceTypes.Has(string(svc.Spec.Type)):
		errs = append(errs, field.NotSupported(spec.Child("type"), svc.Spec.Type, sets.List(supportedServiceTypes)))
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		if svc.Spec.ExternalName == "" {
			errs = append(errs, field.Required(spec.Child("externalName"), ""))
		} else {
			errs = append(errs, dns1123Subdomain(svc.Spec.ExternalName, spec.Child("externalName"))...)
		}
	} else if len(svc.Spec.Ports) == 0 && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		errs = append(errs, field.Required(spec.Child("ports"), ""))
	}
	names := sets.New[string]()
	type portKey struct {
		port  int32
		proto corev1.Protocol
	}
	seen := map[portKey]bool{}
	for i, p := range svc.Spec.Ports {
		pp := spec.Child("ports").Index(i)
		switch {
		case p.Name == "" && len(svc.Spec.Ports) > 1:
			errs = append(errs, field.Required(pp.Child("name"), ""))
		case p.Name != "":
			errs = append(errs, dns1123Label(p.Name, pp.Child("name"))...)
			if names.Has(p.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), p.Name))
			}
			names.Insert(p.Name)
		}
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), p.Port, msg))
		}
		errs = append(errs, validateProtocol(p.Protocol, pp.Child("protocol"))...)
		errs = append(errs, validatePortNumOrName(p.TargetPort, pp.Child("targetPort"))...)
		// A node port's number is the allocator's to judge ("not in the valid range"), as in
		// kube, whose validation leaves it alone.
		if p.NodePort != 0 && (svc.Spec.Type == corev1.ServiceTypeClusterIP || svc.Spec.Type == corev1.ServiceTypeExternalName) {
			errs = append(errs, field.Forbidden(pp.Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", svc.Spec.Type)))
		}
		k := portKey{p.Port, p.Protocol}
		if seen[k] {
			errs = append(errs, field.Duplicate(pp, fmt.Sprintf("%d/%s", p.Port, p.Protocol)))
		}
		seen[k] = true
	}
	errs = append(errs, validateClusterIPs(svc, spec)...)
	errs = append(errs, validateServiceTypeFields(svc, spec)...)
	if svc.Spec.SessionAffinity != "" && !supportedSessionAffinity.Has(string(svc.Spec.SessionAffinity)) {
		errs = append(errs, field.NotSupported(spec.Child("sessionAffinity"), svc.Spec.SessionAffinity, sets.List(supportedSessionAffinity)))
	}
	errs = append(errs, metav1validation.ValidateLabels(svc.Spec.Selector, spec.Child("selector"))...)
	return errs
}

// validateClusterIPs checks spec.clusterIP(s): IP addresses, or "None" for a headless service;
// nothing for ExternalName services; clusterIP the same as clusterIPs[0].
func validateClusterIPs(svc *corev1.Service, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP != "" || len(svc.Spec.ClusterIPs) > 0 {
			errs = append(errs, field.Forbidden(spec.Child("clusterIP"), "may not be set for ExternalName services"))
		}
		return errs
	}
	if len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIP != svc.Spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(spec.Child("clusterIPs"), svc.Spec.ClusterIPs, "must be empty or the first value must match spec.clusterIP"))
	}
	for i, ip := range svc.Spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			if i != 0 || len(svc.Spec.ClusterIPs) > 1 {
				errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(i), ip, "'None' must be the first and only value"))
			}
			continue
		}
		errs = append(errs, validation.IsValidIP(spec.Child("clusterIPs").Index(i), ip)...)
	}
	return errs
}

func validatePortNumOrName(port intstr.IntOrString, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Type == intstr.Int {
		for _, msg := range validation.IsValidPortNum(port.IntValue()) {
			errs = append(errs, field.Invalid(path, port.IntValue(), msg))
		}
		return errs
	}
	for _, msg := range validation.IsValidPortName(port.StrVal) {
		errs = append(errs, field.Invalid(path, port.StrVal, msg))
	}
	return errs
}

// validateServiceUpdate keeps allocated addresses: cluster IPs once set may not change (a
// service may still move to or from ExternalName), nor a health check node port in use.
func validateServiceUpdate(svc, old *corev1.Service) field.ErrorList {
	errs := validateServiceTrafficUpdate(svc, old)
	if svc.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return errs
	}
	for i, ip := range old.Spec.ClusterIPs {
		if i < len(svc.Spec.ClusterIPs) && svc.Spec.ClusterIPs[i] != ip {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), svc.Spec.ClusterIPs, "may not change once set"))
		}
	}
	if old.Spec.ClusterIP != "" && svc.Spec.ClusterIP != old.Spec.ClusterIP && len(old.Spec.ClusterIPs) == 0 {
		errs = append(errs, apivalidation.ValidateImmutableField(svc.Spec.ClusterIP, old.Spec.ClusterIP, field.NewPath("spec", "clusterIP"))...)
	}
	return errs
}

// validateCoreEvent: an old-style event (no eventTime) lives in its object's namespace, or in
// "default" when the object is cluster-scoped.
func validateCoreEvent(e *corev1.Event) field.ErrorList {
	if !e.EventTime.IsZero() {
		return nil
	}
	ns := e.InvolvedObject.Namespace
	if (ns == "" && e.Namespace != "" && e.Namespace != metav1.NamespaceDefault) || (ns != "" && e.Namespace != ns) {
		return field.ErrorList{field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace")}
	}
	return nil
}

func validatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if len(pv.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), ""))
	}
	if len(pv.Spec.Capacity) == 0 {
		errs = append(errs, field.Required(spec.Child("capacity"), ""))
	}
	return errs
}

func validatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	return validatePersistentVolumeClaimSpec(&pvc.Spec, field.NewPath("spec"))
}

func validatePersistentVolumeClaimSpec(spec *corev1.PersistentVolumeClaimSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.AccessModes) == 0 {
		errs = append(errs, field.Required(path.Child("accessModes"), "at least 1 access mode is required"))
	}
	if _, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		errs = append(errs, field.Required(path.Child("resources", "requests").Key(string(corev1.ResourceStorage)), ""))
	}
	return errs
}

// validatePersistentVolumeClaimUpdate: a claim's spec is immutable but for its storage request
// and volume attributes class.
func validatePersistentVolumeClaimUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	munged := pvc.Spec.DeepCopy()
	munged.Resources.Requests = old.Spec.Resources.Requests
	munged.VolumeAttributesClassName = old.Spec.VolumeAttributesClassName
	// Binding fills volumeName once.
	if old.Spec.VolumeName == "" {
		munged.VolumeName = ""
	}
	if !reflect.DeepEqual(*munged, old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")}
	}
	return nil
}

func validatePodTemplate(t *corev1.PodTemplate) field.ErrorList {
	return validatePodTemplateSpec(&t.Template, field.NewPath("template"))
}

func validateReplicationController(rc *corev1.ReplicationController) field.ErrorList {
	spec := field.NewPath("spec")
	errs := nonNegative(rc.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(rc.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
	if len(rc.Spec.Selector) == 0 {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabels(rc.Spec.Selector, spec.Child("selector"))...)
	}
	tpath := spec.Child("template")
	if rc.Spec.Template == nil {
		return append(errs, field.Required(tpath, ""))
	}
	if sel := labels.Set(rc.Spec.Selector).AsSelector(); !sel.Empty() && !sel.Matches(labels.Set(rc.Spec.Template.Labels)) {
		errs = append(errs, field.Invalid(tpath.Child("metadata", "labels"), rc.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, validatePodTemplateSpec(rc.Spec.Template, tpath)...)
	return append(errs, validateReplicatedTemplate(&rc.Spec.Template.Spec, tpath.Child("spec"), "ReplicationController")...)
}

// validateReplicatedTemplate holds what every replicated workload asks of its pods: they are
// restarted always, and run without a deadline.
func validateReplicatedTemplate(spec *corev1.PodSpec, path *field.Path, kind string) field.ErrorList {
	var errs field.ErrorList
	if spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(path.Child("restartPolicy"), spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(path.Child("activeDeadlineSeconds"), fmt.Sprintf("activeDeadlineSeconds in %s is not Supported", kind)))
	}
	return errs
}

func validateResourceQuota(q *corev1.ResourceQuota) field.ErrorList {
	var errs field.ErrorList
	for name, v := range q.Spec.Hard {
		if v.Sign() < 0 {
			errs = append(errs, field.Invalid(field.NewPath("spec", "hard").Key(string(name)), v.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}
