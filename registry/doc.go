// Package registry holds the resources kapi serves, as data: each Resource describes one
// group/version/resource (its kind, names, scope, subresources, table columns, selectable fields)
// and carries its Strategy (defaulting, validation, status handling). One generic store
// (registry/generic) serves every resource from these descriptors, so adding a resource never adds
// a route or a handler.
//
// The set is not fixed: resources may be added and removed while the server runs (custom resources
// do just that), and discovery and OpenAPI follow the Registry's current contents.
//
// registry imports storage and abi, never host.
package registry
