// Package builtin describes every built-in Kubernetes resource kapi serves, as data: one
// registry.Resource per group/version/resource, with kube-apiserver's names, scope, verbs and
// subresources, the k8s.io/api Go types, kubectl's table columns, the field selectors kube
// accepts, and a Strategy carrying kube's defaulting, validation, status and generation rules.
//
// Only the rules users meet most are ported (the common defaults, the common validation with
// kube's field paths and messages); the rest of kube's validation is deliberately absent.
//
// builtin imports registry, k8s.io/api and k8s.io/apimachinery; it must not import host, storage
// implementations, or k8s.io/kubernetes.
package builtin
