// Package controllers does the work kube-controller-manager would do for a server that has none:
// namespace lifecycle (emptying a terminating namespace, then finalizing it), garbage collection
// by ownerReferences (background, foreground and orphan propagation), each namespace's "default"
// ServiceAccount and "kube-root-ca.crt" ConfigMap, and the bootstrap objects every cluster has
// (the default, kube-system, kube-public and kube-node-lease namespaces and the kubernetes
// service). It also runs, on a timer, the repair passes it is given for state the registry does
// not serve (kube-apiserver's service IP and node port repair loops: builtin.AddressRepair).
//
// The controllers act through the registry's stores, never through storage, so every write they
// make obeys the same object semantics as a client's (and custom resources, served by the same
// stores, are covered without special cases). They run without admission, as system components.
//
// controllers imports registry, never host or storage implementations.
//
// # Design
//
// One set of watches feeds all controllers: an informer per registry entry lists, then watches
// from the list's resourceVersion, and relists after an error; entries added to the registry at
// runtime (custom resources) get informers as they appear. Each controller has one work queue
// keyed by object, worked by a few workers that never take the same key at once (as
// client-go's workqueue), and a periodic resync re-queues the work that events alone could
// miss (an owner whose dependents were not all known yet, a namespace whose content is held by
// finalizers).
//
// Why several workers: the work waits on etcd, and one namespace with thousands of objects must
// not hold up the deletion of every other namespace behind it (kube runs 10 namespace workers
// and 20 garbage collector workers; kapi runs fewer, on a machine it shares).
package controllers
