package generic

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
)

// DryRunner is storage whose writes do more than store the object, and which can show that in
// a dry run without keeping anything: the services' storage allocates cluster IPs and node
// ports as it stores, and kube-apiserver answers a dry-run write of a service with the
// addresses it would get. A dry run calls it where a real write would call the storage, after
// validation and admission, and answers with the object it filled.
type DryRunner interface {
	// DryRunCreate fills obj as Create at key would, keeping nothing.
	DryRunCreate(ctx context.Context, key string, obj runtime.Object) error
	// DryRunUpdate fills updated as an update of current at key would, keeping nothing.
	// current has no resourceVersion when the update creates the object.
	DryRunUpdate(ctx context.Context, key string, current, updated runtime.Object) error
}
