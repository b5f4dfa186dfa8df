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
// Why random service addresses? kube allocates cluster IPs and node ports from bitmaps kept in
// etcd. A strategy is stateless, so kapi draws at random from kube's default ranges
// (10.96.0.0/12, 30000-32767) and keeps what an update leaves out. Collisions go undetected; an
// allocator in the store is the proper fix.
package builtin
