// Package watchcache keeps one resource's objects in memory in front of a storage.Interface (the
// etcd3 store), as kube-apiserver's cacher does: one watch of the underlying store feeds an
// in-memory copy of every object and a ring of recent events; lists at resourceVersion "0" or
// not-older-than, reads at a resourceVersion, and every watch are served from memory, and each
// event is fanned out to all watchers as one shared *storage.Event, so it is encoded once per
// content type however many watchers receive it. Lists from memory come with the same events
// (storage.EventLister), so their items reuse those encodings too. Writes and consistent reads
// pass through.
//
// It imports storage and nothing else of kapi (not the registry, not the host).
//
// Keys are resourcePrefix + namespace + "/" + name, or resourcePrefix + name for objects without a
// namespace, as the registry builds them; the cache derives each event's key from its object.
//
// RATIONALE.md records why it is built this way: one writer, shared events, bounded watcher
// buffers with a slow-consumer cut-off, and progress requests for freshness.
package watchcache
