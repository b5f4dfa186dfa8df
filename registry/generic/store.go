package generic

import (
	"context"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/storage"
)

// Deps is what a store needs of the rest of the server. Every field is optional.
type Deps struct {
	// Namespace returns a namespace by name, or a NotFound Status error when there is none.
	// Creates of namespaced objects use it to refuse missing and terminating namespaces (kube's
	// NamespaceLifecycle admission); nil skips that check. NamespaceGetter(reg) is the usual
	// value.
	Namespace func(ctx context.Context, name string) (*corev1.Namespace, error)
	// Now is the clock for creationTimestamp and deletionTimestamp; time.Now when nil.
	Now func() time.Time
	// NewUID makes object UIDs; uuid.NewUUID when nil.
	NewUID func() types.UID
}

// Store is the generic registry.Store for one resource.
type Store struct {
	res      *registry.Resource
	storage  storage.Interface
	strategy registry.Strategy
	deps     Deps
	prefix   string

	// isNamespaces selects kube's namespace REST behaviour on delete and finalize.
	isNamespaces bool
	// recentlyDeleted names the namespaces this store was asked to delete lately, which
	// NamespaceGetter reads live rather than from the cache (namespaces store only).
	recentlyDeleted recentNames
	// returnDeletedObject makes a finished delete answer with the object rather than a
	// Status{Success}, per resource as kube's stores are configured.
	returnDeletedObject bool
	// allowUnconditionalUpdate lets an update without a resourceVersion apply to whatever is
	// stored: kube allows it for built-ins and refuses it for custom resources.
	allowUnconditionalUpdate bool
	// allowCreateOnUpdate lets PUT create a missing object, per resource as kube's strategies.
	allowCreateOnUpdate bool
	// gcPolicy is the propagation a delete uses when the client names none.
	gcPolicy gcPolicy
	// listType is the Go type of the resource's lists.
	listType reflect.Type
	// generateName makes a name from a generateName prefix (tests replace it to force
	// collisions).
	generateName func(base string) string
}

var _ registry.Store = (*Store)(nil)

// NewStore returns the store for res on s. res.Strategy may be nil (custom resources): the
// store then validates metadata only, keeps status apart when res has a status subresource and
// tracks generation. The core namespaces resource gets kube's namespace delete and finalize
// behaviour.
func NewStore(res *registry.Resource, s storage.Interface, deps Deps) *Store {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.NewUID == nil {
		deps.NewUID = uuid.NewUUID
	}
	strategy := res.Strategy
	if strategy == nil {
		strategy = metadataStrategy{res: res}
	}
	_, unstructuredType := res.New().(*unstructured.Unstructured)
	return &Store{
		res:                      res,
		storage:                  s,
		strategy:                 strategy,
		deps:                     deps,
		prefix:                   KeyPrefix(res),
		isNamespaces:             res.Group == "" && res.Plural == "namespaces",
		returnDeletedObject:      unstructuredType || returnsDeletedObject[res.GroupVersionResource().GroupResource()],
		allowCreateOnUpdate:      allowsCreateOnUpdate[res.GroupVersionResource().GroupResource()],
		allowUnconditionalUpdate: !unstructuredType,
		gcPolicy:                 defaultGCPolicy(res),
		generateName:             generateName,
		listType:                 reflect.TypeOf(res.NewList()),
	}
}

// returnsDeletedObject lists the resources whose kube store sets ReturnDeletedObject; every other
// resource answers a finished delete with a Status{Success} naming the object. Custom resources
// return the object too.
var returnsDeletedObject = map[schema.GroupResource]bool{
	{Resource: "pods"}:            true,
	{Resource: "services"}:        true,
	{Resource: "serviceaccounts"}: true,
	{Resource: "namespaces"}:      true,
}

// allowsCreateOnUpdate lists the resources whose kube strategy answers AllowCreateOnUpdate true.
var allowsCreateOnUpdate = map[schema.GroupResource]bool{
	{Resource: "events"}:                               true,
	{Resource: "endpoints"}:                            true,
	{Resource: "limitranges"}:                          true,
	{Resource: "services"}:                             true,
	{Group: "events.k8s.io", Resource: "events"}:       true,
	{Group: "coordination.k8s.io", Resource: "leases"}: true,
	// kube's RBAC strategies allow it, for reconciling default roles.
	{Group: "rbac.authorization.k8s.io", Resource: "roles"}:               true,
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}:        true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: true,
}

// Resource is the descriptor the store serves.
func (s *Store) Resource() *registry.Resource { return s.res }

// Storage is the storage the store writes to (subresource stores share it).
func (s *Store) Storage() storage.Interface { return s.storage }

func (s *Store) groupResource() schema.GroupResource {
	return schema.GroupResource{Group: s.res.Group, Resource: s.res.Plural}
}

func (s *Store) groupKind() schema.GroupKind {
	return schema.GroupKind{Group: s.res.Group, Kind: s.res.Kind}
}

// Get returns one object.
func (s *Store) Get(ctx context.Context, namespace, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	key, err := s.objectKey(namespace, name)
	if err != nil {
		return nil, err
	}
	rv := ""
	if opts != nil {
		rv = opts.ResourceVersion
	}
	if err := checkResourceVersion(rv); err != nil {
		return nil, err
	}
	obj, err := s.storage.Get(ctx, key, storage.GetOptions{ResourceVersion: rv})
	if err != nil {
		return nil, s.statusError(err, name, rv)
	}
	return s.typed(obj), nil
}

// typed sets the resource's apiVersion and kind on an object read from storage.
func (s *Store) typed(obj runtime.Object) runtime.Object {
	if obj == nil {
		return nil
	}
	gvk := s.res.GroupVersionKind()
	if reflect.TypeOf(obj) == s.listType {
		gvk.Kind += "List"
	}
	// Objects from storage (possibly shared by a cache) carry their kind already: only objects
	// the store made itself are written to.
	if obj.GetObjectKind().GroupVersionKind() != gvk {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return obj
}

// accessor is meta.Accessor for objects the store made or read itself, where failure is a bug.
func accessor(obj runtime.Object) (metav1.Object, error) {
	a, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return a, nil
}

// isDryRun reports whether a write's dryRun option asks for nothing to be stored.
func isDryRun(dryRun []string) bool {
	for _, d := range dryRun {
		if d == metav1.DryRunAll {
			return true
		}
	}
	return false
}
