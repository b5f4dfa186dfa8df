// Package rest serves kapi's resource requests: get, list, watch, create, update, patch
// (JSON patch, merge patch, strategic merge patch and server-side apply), delete and
// deletecollection on every resource of the registry, with kube-apiserver's codes, reasons and
// messages. It reads the request's request.Info (parsed once by the RequestInfo filter),
// negotiates the response form (JSON, YAML, protobuf for built-in types; the object, a Table or
// PartialObjectMetadata), decodes and checks bodies (JSON, YAML, and protobuf for built-in
// types), records managed fields, runs mutating admission, and calls the resource's
// registry.Store, which runs validation and validating admission.
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
// # Why lists from the watch cache are written from the events' encodings
//
// The watch cache holds each object as one shared *storage.Event. A list it serves comes with
// those events (registry/generic's ListWithEvents), and the list is written as its envelope
// around each item's encoding, cached on the event per media type: an object is encoded once for
// all the lists that include it until it changes, instead of once per list (encoding was about
// 40% of a cached list's CPU); PartialObjectMetadataList items likewise, each item's metadata
// encoded once. The bytes are those of encoding the list whole (a test pins it);
// Tables, YAML, indented JSON and lists from etcd take the plain path.
//
// # Why protobuf for built-in types only
//
// kube-apiserver answers built-in types in protobuf when asked (client-go's clientsets with
// ContentType protobuf, kube's controllers): JSON costs a client several times more to decode.
// Custom resources have no protobuf form, as in kube: a protobuf body for one is 415, and a
// client that accepts only protobuf is 406, unless it asks for PartialObjectMetadata, which is a
// built-in type. A Table has no protobuf form either, so a range asking for one in protobuf is
// passed over.
//
// # Why every write records managed fields
//
// Server-side apply decides conflicts from metadata.managedFields. kube records the manager of
// every write, not only of applies, so that an apply conflicts with a field that kubectl edit or
// a controller changed; kapi does the same, with kube's FieldManager (k8s.io/apimachinery's
// managedfields) over schemas built from the registry, rebuilt when the registry changes. Its
// non-apply writes go through a type converter of kapi's (tracking.go) that leaves the live
// object's managedFields out and skips revalidating typed values that cannot fail, reaching the
// same managed fields for about a third less CPU.
//
// # Why dryRun other than All is 422
//
// kube validates CreateOptions, UpdateOptions, PatchOptions and DeleteOptions with meta/v1's
// validation, which answers an unsupported dryRun value with 422 Invalid; kapi calls the same
// validation rather than keep its own rules.
package rest
