// Package discovery computes kube-apiserver's discovery documents from the registry's contents:
// the legacy forms (APIVersions for /api, APIGroupList for /apis, APIGroup for /apis/GROUP,
// APIResourceList for /api/v1 and /apis/GROUP/VERSION) and the aggregated form
// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) for /api and /apis.
//
// It is data only: it knows nothing of HTTP, caching or encoding (host/discovery does that).
// Groups are ordered as kube-apiserver orders them, by the group priorities kube's aggregator
// assigns to its built-in APIServices (highest first, ties by name), and the versions of a group
// by their version priority, then by kube's version ordering (v2 > v1 > v1beta1 > v1alpha1).
//
// discovery imports registry and k8s.io types; never host or storage.
package discovery
