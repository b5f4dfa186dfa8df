// Package watchcache keeps one resource's objects in memory in front of a storage.Interface (the
// etcd3 store), as kube-apiserver's cacher does: one watch of the underlying store feeds an
// in-memory copy of every object and a ring of recent events; lists at resourceVersion "0" or
// not-older-than, reads at a resourceVersion, and every watch are served from memory, and each
// event is fanned out to all watchers as one shared *storage.Event, so it is encoded once per
// content type however many watchers receive it. Writes and consistent reads pass through.
//
// It imports storage and nothing else of kapi (not the registry, not the host).
//
// # Why a ring of shared events and a bounded buffer per watcher?
//
// A watch from an old resourceVersion replays the ring; a watch older than the ring gets 410
// "too old resource version", which real clients answer by relisting. Each watcher has a small
// buffer; the dispatcher never blocks on one watcher for more than a short, bounded time: a
// watcher still full after that is terminated (its channel closed), as kube terminates a slow
// consumer, and the client rewatches from the last resourceVersion it saw. The alternatives (an
// unbounded queue per watcher, or a dispatcher that waits) let one slow client grow memory without
// bound or stall every other watcher of the resource.
//
// # Why do objects sit in the cache as ADDED events?
//
// Every watch that starts from the current state begins with one ADDED event per object. Keeping
// each object as its ADDED event lets a thousand such watches share those events and their
// encodings instead of building and encoding a thousand copies.
//
// # Freshness
//
// resourceVersion is etcd's revision, shared by every resource, so a read "not older than N" may
// name a revision written to another resource; the cache has then seen no event at N. When
// Options.RequestProgress is set (storage/factory sets it to the etcd client's RequestProgress),
// a read that waits asks etcd for a progress notification, which the underlying watch delivers
// as a BOOKMARK that moves the cache's resourceVersion forward. Without it, such a read waits for
// the next change or etcd's periodic progress notification and, after Options.FreshnessTimeout,
// fails with "Too large resource version" as kube does.
package watchcache
