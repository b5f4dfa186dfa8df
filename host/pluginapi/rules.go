package pluginapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/abi"
)

// Rule is one of an admission plugin's manifest rules (ABI 1.2, abi/SPEC.md section 4): the
// requests it is called on, as a Kubernetes admission webhook's rules (admissionregistration.k8s.io/v1
// RuleWithOperations) say them. A request matches when every list holds its value or "*".
type Rule struct {
	// Operations are CREATE, UPDATE, DELETE, CONNECT or "*".
	Operations []string `json:"operations"`
	// APIGroups and APIVersions are the request's resource's group ("" is the core group) and
	// version.
	APIGroups   []string `json:"apiGroups"`
	APIVersions []string `json:"apiVersions"`
	// Resources are "pods" (not its subresources), "pods/status", "pods/*" (pods and all its
	// subresources), "*" (every resource, no subresource), "*/status" or "*/*".
	Resources []string `json:"resources"`
	// Scope is "Cluster" (cluster-scoped resources, and namespaces), "Namespaced" or "*" (the
	// default).
	Scope string `json:"scope,omitempty"`
}

var ruleOperations = []string{"CREATE", "UPDATE", "DELETE", "CONNECT", "*"}

// validateRules checks the rules, naming the field of the first problem.
func (m *Manifest) validateRules() error {
	if m.Rules == nil {
		return nil
	}
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("manifest %q: %s: %s", m.Name, field, fmt.Sprintf(format, args...))
	}
	switch _, minor, _ := abi.ParseVersion(m.ABIVersion); {
	case minor < 2:
		return fail("rules", "need abiVersion 1.2 or later (the manifest says %s)", m.ABIVersion)
	case m.Kind != abi.KindMutatingAdmission && m.Kind != abi.KindValidatingAdmission:
		return fail("rules", "are for admission plugins, not %s", m.Kind)
	case len(m.Rules) == 0:
		return fail("rules", "empty: leave rules out to be called on every request")
	}
	for i, r := range m.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		for _, l := range []struct {
			name string
			list []string
		}{{"operations", r.Operations}, {"apiGroups", r.APIGroups}, {"apiVersions", r.APIVersions}, {"resources", r.Resources}} {
			if len(l.list) == 0 {
				return fail(field+"."+l.name, "required (\"*\" for all)")
			}
		}
		for j, op := range r.Operations {
			if !slices.Contains(ruleOperations, op) {
				return fail(fmt.Sprintf("%s.operations[%d]", field, j), "%q is not one of %s", op, strings.Join(ruleOperations, ", "))
			}
		}
		for j, res := range r.Resources {
			if name, sub, _ := strings.Cut(res, "/"); name == "" || strings.Contains(sub, "/") || (strings.Contains(res, "/") && sub == "") {
				return fail(fmt.Sprintf("%s.resources[%d]", field, j), "%q must be a resource, resource/subresource, or either as \"*\"", res)
			}
		}
		switch r.Scope {
		case "", "*", "Cluster", "Namespaced":
		default:
			return fail(field+".scope", "%q is not one of Cluster, Namespaced, *", r.Scope)
		}
	}
	return nil
}

// Matches reports whether the plugin is called on the admission request r: always when the
// manifest has no rules, else when one of them matches, as kube-apiserver matches a webhook's
// rules.
func (m *Manifest) Matches(r *abi.AdmissionRequest) bool {
	if m.Rules == nil || r == nil {
		return true
	}
	for _, rule := range m.Rules {
		if rule.matches(r) {
			return true
		}
	}
	return false
}

func (rule *Rule) matches(r *abi.AdmissionRequest) bool {
	return anyOrHas(rule.Operations, r.Operation) && anyOrHas(rule.APIGroups, r.Resource.Group) &&
		anyOrHas(rule.APIVersions, r.Resource.Version) && rule.matchesResource(r) && rule.matchesScope(r)
}

func (rule *Rule) matchesResource(r *abi.AdmissionRequest) bool {
	for _, res := range rule.Resources {
		name, sub, _ := strings.Cut(res, "/")
		if (name == "*" || name == r.Resource.Resource) && (sub == "*" || sub == r.SubResource) {
			return true
		}
	}
	return false
}

// matchesScope: a namespace object is cluster-scoped, though its requests name it as their
// namespace (as kube-apiserver's admission attributes do).
func (rule *Rule) matchesScope(r *abi.AdmissionRequest) bool {
	namespaceObject := r.Resource.Group == "" && r.Resource.Resource == "namespaces"
	switch rule.Scope {
	case "Cluster":
		return namespaceObject || r.Namespace == ""
	case "Namespaced":
		return !namespaceObject && r.Namespace != ""
	}
	return true
}

func anyOrHas(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}
