// Package builtin describes every built-in Kubernetes resource kapi serves, as data: one
// registry.Resource per group/version/resource, with kube-apiserver's names, scope, verbs and
// subresources, the k8s.io/api Go types, kubectl's table columns, the field selectors kube
// accepts, and a Strategy carrying kube's defaulting, validation, status and generation rules.
//
// Only the rules users meet most are ported (the common defaults, the common validation with
// kube's field paths and messages); the rest of kube's validation is deliberately absent.
//
// builtin imports registry, k8s.io/api and k8s.io/apimachinery; it must not import host, storage
// implementations, or k8s.io/kubernetes.
//
// # Rationale
//
// Why one generic strategy (typed[T]) with hooks rather than a type per resource? Most of kube's
// strategies differ only in which rules they apply; the hooks make each resource's differences
// the only thing written down for it, and the shared order (defaults, status, generation, kind
// rules) is written once, in strategy.go.
//
// Why reflection for status and spec? Every built-in type names them Status and Spec; reading
// them by name lets "clear status on create", "keep status on update" and "keep all but status on
// /status" be one function each instead of one per type. The cost is a reflect call per write.
//
// Why defaults in the strategy? kube defaults while decoding a request (and again when reading
// from etcd); kapi's REST layer decodes into plain k8s.io/api types, so the strategy applies the
// defaults first thing in PrepareForCreate and PrepareForUpdate. Defaulting twice is harmless:
// every default only fills what is empty.
//
// Why TracksGeneration? kube sets metadata.generation only for resources whose strategies do so
// (workloads, pods, policies...); configmaps, secrets, services and the like keep generation 0.
// SpecChanged is always false for those, and TracksGeneration says which resources are which.
//
// Why are service addresses allocated in storage? kube allocates cluster IPs and node ports in
// its service REST, from state kept in etcd, so that no two services share one. A strategy is
// stateless, so kapi's ServiceAddresses wraps the services' storage instead: each address is a
// record created only if absent in the etcd every replica shares (service_addresses.go,
// service_allocation.go). The order is kube's: kube's store calls the service REST's
// BeginCreate/BeginUpdate hooks before validation and validating admission, and kapi's generic
// store calls the wrapper's (generic.WriteBeginner) after the strategy's defaults (which the
// allocation depends on) and before validation and validating admission, so both see the
// addresses the service is stored with, and validation requires a health check node port
// where kube does. A write that is not stored (refused by validation or admission, a conflict,
// a storage failure) releases what it allocated before it answers, as kube reverts its
// allocation transaction; an update releases the addresses it dropped only once it is stored.
// A dry run reads the records and writes none (kube 1.27+ shows the addresses a dry run would
// get). A process that dies between allocating and storing leaves records no service holds:
// AddressRepair (service_repair.go) reconciles the records with the services as kube's repair
// loops do, releasing such a record after three passes have found it so.
package builtin
