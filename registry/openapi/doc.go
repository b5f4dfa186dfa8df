// Package openapi generates the OpenAPI documents kube-apiserver serves (Swagger 2.0 for
// /openapi/v2, OpenAPI 3.0 per group/version for /openapi/v3) from the registry's contents, by
// reflecting over each resource's Go type: kapi does not depend on k8s.io/kubernetes' generated
// OpenAPI definitions.
//
// Schemas follow the Go types' json tags. Definitions are named as kube names them (the Go
// package path with its domain reversed: "io.k8s.api.core.v1.Pod"), the apimachinery types with
// a custom JSON form get kube's schemas (Time is a date-time string, IntOrString is
// int-or-string, Quantity a string, RawExtension an object ...), and the patchStrategy and
// patchMergeKey struct tags become x-kubernetes-patch-strategy and x-kubernetes-patch-merge-key,
// which strategic merge patch reads. Top-level kinds carry x-kubernetes-group-version-kind.
//
// Descriptions come from the SwaggerDoc methods k8s.io/api generates from its Go comments.
// What reflection cannot see is left out rather than guessed: the +listType/+listMapKey/+required
// markers. Required fields are inferred only where it is safe (see required in schema.go).
//
// openapi imports registry and registry/discovery; never host or storage.
package openapi
