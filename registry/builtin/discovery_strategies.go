package builtin

import (
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/kapi-dev/kapi/registry"
)

func endpointSliceStrategy() registry.Strategy {
	return typed[*discoveryv1.EndpointSlice]{
		namespaced: true,
		defaults:   defaultEndpointSlice,
		validate:   validateEndpointSlice,
		// An EndpointSlice has no spec: any change outside metadata bumps its generation, and so
		// does a label change (kube-proxy selects slices by label).
		generation: func(s *discoveryv1.EndpointSlice) interface{} {
			return []interface{}{s.AddressType, s.Endpoints, s.Ports, s.Labels}
		},
	}
}
