package builtin

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podQOSClass computes a pod's quality of service class as kube does: BestEffort without any
// cpu or memory request or limit, Guaranteed when every container limits both and requests
// equal limits, Burstable otherwise. It expects defaults applied (requests copied from limits).
func podQOSClass(spec *corev1.PodSpec) corev1.PodQOSClass {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	guaranteed := true
	add := func(into corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		sum := q.DeepCopy()
		if prev, ok := into[name]; ok {
			sum.Add(prev)
		}
		into[name] = sum
	}
	containers := append(append([]corev1.Container(nil), spec.Containers...), spec.InitContainers...)
	for _, c := range containers {
		for name, q := range c.Resources.Requests {
			if qosResource(name) && q.Sign() > 0 {
				add(requests, name, q)
			}
		}
		limited := map[corev1.ResourceName]bool{}
		for name, q := range c.Resources.Limits {
			if qosResource(name) && q.Sign() > 0 {
				limited[name] = true
				add(limits, name, q)
			}
		}
		if !limited[corev1.ResourceCPU] || !limited[corev1.ResourceMemory] {
			guaranteed = false
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	if guaranteed {
		for name, req := range requests {
			if lim, ok := limits[name]; !ok || lim.Cmp(req) != 0 {
				guaranteed = false
				break
			}
		}
	}
	if guaranteed && len(requests) == len(limits) {
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

func qosResource(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory
}
