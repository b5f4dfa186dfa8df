// Package etcd3 implements storage.Interface on etcd's v3 API (go.etcd.io/etcd/client/v3),
// behaving as kube-apiserver's k8s.io/apiserver/pkg/storage/etcd3 store does: resourceVersion
// is the etcd revision, creates and updates are transactions on the key's revisions, lists page
// with kube's continue tokens at a pinned revision, and watches turn etcd events into Kubernetes
// watch events. It also runs kube's compactor and records etcd request metrics.
//
// It imports the storage contract and etcd/apimachinery/prometheus, and nothing of the host, the
// registry or the plugins.
//
// # Rationale
//
// Why decode every object read rather than hand back the caller's object? The stored bytes are
// the truth (the codec may default or drop fields); returning what etcd holds means Create and
// GuaranteedUpdate answer exactly what a later Get would.
//
// Why is a compacted watch revision an ERROR event rather than an error from Watch? etcd only
// reports compaction on the watch stream, as kube's watcher relies on; checking it up front
// would cost a read per watch and still race with a compaction. Its message is the one kube's
// watch cache gives ("too old resource version: X (Y)"); clients act on the 410 Expired reason.
//
// Why does a continued list at a compacted revision wrap an *apierrors.StatusError? kube answers
// it with 410 and, in the Status's metadata, a token that continues at the newest revision. The
// storage.Error carries the code every caller checks; the wrapped Status carries the token, and
// a registry that passes Status errors through (errors.As) answers exactly as kube.
//
// Why no TTL, no transformers (encryption at rest), no lease reuse? kapi's contract has no TTL
// and no encryption configuration yet; each would slot into encode/decode and Create.
package etcd3
