// Package storage defines how the registry keeps objects: the Interface every backend implements
// (etcd3, the watch cache in front of it, the per-resource router), its options and its errors.
//
// resourceVersion is the etcd revision. Errors are this package's *Error values; the registry turns
// them into Kubernetes Status errors, so storage never speaks HTTP. storage imports nothing of the
// host, the registry or the plugins.
package storage
