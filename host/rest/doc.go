// Package rest serves kapi's resource requests: get, list, watch, create, update, patch, delete
// and deletecollection on every resource of the registry, with kube-apiserver's codes, reasons
// and messages. It reads the request's request.Info (parsed once by the RequestInfo filter),
// negotiates the response form (JSON, YAML, Table, PartialObjectMetadata), decodes and checks
// bodies, runs mutating admission, and calls the resource's registry.Store, which runs
// validation and validating admission.
//
// rest imports host/admission, host/request, host/status, the registry contracts and storage's
// event type; it must not import registry implementations, storage backends, or plugins.
//
// # Why watch events are encoded through storage.Event.Encoded
//
// One event reaches every watcher of a resource. Encoding it once per output form (JSON, Table
// with a given includeObject, PartialObjectMetadata) and sharing the bytes keeps the cost of a
// change independent of the number of watchers; the key names everything the bytes depend on.
//
// # Why dryRun other than All is 422
//
// kube validates CreateOptions, UpdateOptions, PatchOptions and DeleteOptions with meta/v1's
// validation, which answers an unsupported dryRun value with 422 Invalid; kapi calls the same
// validation rather than keep its own rules.
package rest
