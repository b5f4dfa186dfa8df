// Package openapi serves kube-apiserver's OpenAPI endpoints: /openapi/v2 (JSON, or protobuf
// when asked, gzipped when the client accepts it) and /openapi/v3 (an index naming each
// group/version's document with a content hash, and the documents themselves, immutable when
// fetched by hash).
//
// Documents come from registry/openapi and follow the registry: a change drops the snapshot,
// and each document is built and encoded at most once per snapshot, on first request. ETags are
// the upper-case hex SHA-512 of the JSON, as kube's.
//
// openapi imports registry, registry/openapi and host/status; never other host packages.
package openapi
