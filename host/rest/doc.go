// Package rest serves kapi's resource requests: get, list, watch, create, update, patch
// (JSON patch, merge patch, strategic merge patch and server-side apply), delete and
// deletecollection on every resource of the registry, with kube-apiserver's codes, reasons and
// messages. It reads the request's request.Info (parsed once by the RequestInfo filter),
// negotiates the response form (JSON, YAML, Table, PartialObjectMetadata), decodes and checks
// bodies (JSON, YAML, and protobuf for built-in types), records managed fields, runs mutating
// admission, and calls the resource's registry.Store, which runs validation and validating
// admission.
//
// rest imports host/admission, host/request, host/status, the registry contracts,
// registry/openapi (the schemas server-side apply needs) and storage's event type; it must not
// import registry/generic, storage backends, or plugins.
//
// # Why watch events are encoded through storage.Event.Encoded
//
// One event reaches every watcher of a resource. Encoding it once per output form (JSON, Table
// with a given includeObject, PartialObjectMetadata) and sharing the bytes keeps the cost of a
// change independent of the number of watchers; the key names everything the bytes depend on.
//
// # Why protobuf is read but never written
//
// client-go's clientsets send protobuf bodies and accept JSON as well as protobuf, so reading
// protobuf is needed to serve them and answering in JSON is enough. Custom resources have no
// protobuf form: a protobuf body for one is 415, as in kube.
//
// # Why every write records managed fields
//
// Server-side apply decides conflicts from metadata.managedFields. kube records the manager of
// every write, not only of applies, so that an apply conflicts with a field that kubectl edit or
// a controller changed; kapi does the same, with kube's FieldManager (k8s.io/apimachinery's
// managedfields) over schemas built from the registry, rebuilt when the registry changes.
//
// # Why dryRun other than All is 422
//
// kube validates CreateOptions, UpdateOptions, PatchOptions and DeleteOptions with meta/v1's
// validation, which answers an unsupported dryRun value with 422 Invalid; kapi calls the same
// validation rather than keep its own rules.
package rest
