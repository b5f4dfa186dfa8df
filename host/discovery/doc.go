// Package discovery serves kube-apiserver's discovery endpoints over HTTP: /api, /apis,
// /apis/GROUP, /api/v1 and /apis/GROUP/VERSION, in the legacy form or, when the client asks for
// it in Accept, the aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList).
//
// The documents come from registry/discovery and follow the registry: every change drops the
// cached snapshot, and the next request rebuilds it and encodes each document once. Encoded
// bodies and their ETags are reused until the next change, so discovery costs a map lookup and a
// write.
//
// discovery imports registry, registry/discovery and host/status; never other host packages, so
// the router can import it.
package discovery
