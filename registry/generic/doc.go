// Package generic is the one store behind every resource kapi serves: it implements
// registry.Store on a storage.Interface from a resource's descriptor (registry.Resource), with
// kube-apiserver's object semantics — system fields on create (uid, creationTimestamp,
// generateName), optimistic concurrency on update, status kept apart from spec, finalizers and
// propagation policies on delete, dryRun on every write, list and watch options checked as kube
// checks them — and every storage failure turned into a Kubernetes Status error in one place
// (errors.go).
//
// Besides the main store it serves the subresources that are not plain views of the object:
// scale (NewScaleStore) and pods/binding (NewBindingStore). The namespaces resource gets
// kube's namespace REST behaviour from NewStore itself (see namespace.go), so whoever wires the
// registry cannot forget it. NewEntry assembles a registry.Entry with all of that.
//
// generic imports registry and storage, never host: it knows nothing of HTTP.
//
// # Storage layout
//
// Keys are "/<plural>/<namespace>/<name>" for namespaced resources and "/<plural>/<name>" for
// cluster-scoped ones in the core group, as kube lays them out. Resources of any other group are
// kept under "/<group>/<plural>/...", so that two groups sharing a plural never collide. kube
// stores events.k8s.io/v1 events in the same place as core/v1 events; kapi keeps them apart
// (they are two resources with two stores here), which is simpler and only visible to someone
// reading etcd directly.
//
// Values are kube's too: built-ins are stored as protobuf behind the "k8s\x00" magic, custom
// resources as JSON (see Codec, and its "Why protobuf").
//
// # Why the namespace store lives here
//
// Deleting a namespace is not a delete: the first request marks it Terminating and leaves it to
// the namespace controller (registry/controllers), which empties it and then finalizes it. kube
// does this in its namespace REST; kapi does it in NewStore for the core namespaces resource
// rather than behind a hook in Deps, because the behaviour is fixed and a hook could be left out.
//
// # Why a delete sometimes answers a Status
//
// kube's stores answer a finished delete with the deleted object only where they are
// configured to (pods, services, service accounts, namespaces, custom resources); every other
// resource answers a Status{Success} whose details name the object. Clients print either, but
// tools that decode the body (and the e2e suites of other servers) see the difference, so the
// store answers as kube's would rather than always returning the object.
//
// # Why the namespace check reads the cache first
//
// A create of a namespaced object must find its namespace active. kube's NamespaceLifecycle
// admission reads namespaces from an informer and falls back to a live read when the informer
// lacks the namespace or when the server deleted it lately; NamespaceGetter does the same with
// the watch cache. An earlier version always read etcd, which cost every create a second etcd
// round trip (a tenth of the server's CPU in the load benchmark's create phase, and the latency
// of a quorum read); the fallbacks keep the answers a client that has just created, deleted or
// re-created its namespace expects from this server. Across replicas a create may, as in kube,
// still slip into a namespace deleted through another replica a moment before; the namespace
// controller then removes it with the rest of the namespace's content.
package generic
