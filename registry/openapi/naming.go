package openapi

import (
	"reflect"
	"strings"
)

// DefinitionName is the name kube gives the definition of a Go type: its package path with the
// first segment's domain reversed and slashes turned to dots, then the type's name.
// k8s.io/api/core/v1.Pod is "io.k8s.api.core.v1.Pod".
func DefinitionName(t reflect.Type) string {
	return restFriendlyPackage(t.PkgPath()) + "." + t.Name()
}

func restFriendlyPackage(pkg string) string {
	parts := strings.Split(pkg, "/")
	domain := strings.Split(parts[0], ".")
	for i, j := 0, len(domain)-1; i < j; i, j = i+1, j-1 {
		domain[i], domain[j] = domain[j], domain[i]
	}
	parts[0] = strings.Join(domain, ".")
	return strings.Join(parts, ".")
}

// groupDefinitionPrefix is the package-like prefix kube gives the schemas of a custom resource:
// the group's domain reversed, then the version ("com.example.v1").
func groupDefinitionPrefix(group, version string) string {
	domain := strings.Split(group, ".")
	for i, j := 0, len(domain)-1; i < j; i, j = i+1, j-1 {
		domain[i], domain[j] = domain[j], domain[i]
	}
	return strings.Join(domain, ".") + "." + version
}
