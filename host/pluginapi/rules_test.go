package pluginapi

import (
	"context"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

func TestRulesMatchAsKubeMatchesWebhookRules(t *testing.T) {
	req := func(op, group, version, resource, sub, ns string) *abi.AdmissionRequest {
		return &abi.AdmissionRequest{Operation: op, Resource: abi.GroupVersionResource{Group: group, Version: version, Resource: resource},
			SubResource: sub, Namespace: ns}
	}
	pods := Rule{Operations: []string{"CREATE", "UPDATE"}, APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}
	cases := []struct {
		name  string
		rules []Rule
		req   *abi.AdmissionRequest
		want  bool
	}{
		{"no rules: every request", nil, req("DELETE", "apps", "v1", "deployments", "", "ns"), true},
		{"pod create", []Rule{pods}, req("CREATE", "", "v1", "pods", "", "ns"), true},
		{"pod delete", []Rule{pods}, req("DELETE", "", "v1", "pods", "", "ns"), false},
		{"configmap", []Rule{pods}, req("CREATE", "", "v1", "configmaps", "", "ns"), false},
		{"other group", []Rule{pods}, req("CREATE", "example.com", "v1", "pods", "", "ns"), false},
		{"other version", []Rule{pods}, req("CREATE", "", "v2", "pods", "", "ns"), false},
		{"subresource not named", []Rule{pods}, req("UPDATE", "", "v1", "pods", "status", "ns"), false},
		{"subresource named", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"pods/status"}}},
			req("UPDATE", "", "v1", "pods", "status", "ns"), true},
		{"pods/* takes pods too", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"pods/*"}}},
			req("CREATE", "", "v1", "pods", "", "ns"), true},
		{"* is no subresource", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}}},
			req("CREATE", "", "v1", "pods", "exec", "ns"), false},
		{"*/* is every one", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*/*"}}},
			req("CONNECT", "", "v1", "pods", "exec", "ns"), true},
		{"second rule", []Rule{pods, {Operations: []string{"*"}, APIGroups: []string{"apps"}, APIVersions: []string{"*"}, Resources: []string{"deployments"}}},
			req("DELETE", "apps", "v1", "deployments", "", "ns"), true},
		{"namespaced scope", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: "Namespaced"}},
			req("CREATE", "", "v1", "configmaps", "", "ns"), true},
		{"namespaced scope, cluster resource", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: "Namespaced"}},
			req("CREATE", "rbac.authorization.k8s.io", "v1", "clusterroles", "", ""), false},
		{"a namespace is cluster-scoped", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: "Cluster"}},
			req("CREATE", "", "v1", "namespaces", "", "team-a"), true},
		{"a namespace is not namespaced", []Rule{{Operations: []string{"*"}, APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: "Namespaced"}},
			req("CREATE", "", "v1", "namespaces", "", "team-a"), false},
	}
	for _, c := range cases {
		m := &Manifest{Rules: c.rules}
		if got := m.Matches(c.req); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRulesAreValidated(t *testing.T) {
	base := "name: a\nkind: ValidatingAdmission\nabiVersion: \"1.2\"\nentry: a.wasm\n"
	rule := "{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods]}"
	for _, c := range []struct{ yaml, want string }{
		{strings.Replace(base, "1.2", "1.1", 1) + "rules: [" + rule + "]\n", "rules: need abiVersion 1.2 or later"},
		{strings.Replace(base, "ValidatingAdmission", "Authorizer", 1) + "rules: [" + rule + "]\n", "rules: are for admission plugins, not Authorizer"},
		{base + "rules: []\n", "rules: empty"},
		{base + "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods]}]\n", "rules[0].operations: required"},
		{base + "rules: [" + rule + ", {operations: [PATCH], apiGroups: ['*'], apiVersions: ['*'], resources: ['*']}]\n", `rules[1].operations[0]: "PATCH" is not one of CREATE, UPDATE, DELETE, CONNECT, *`},
		{base + "rules: [{operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: [pods/, '*']}]\n", `rules[0].resources[0]: "pods/" must be`},
		{base + "rules: [{operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: Global}]\n", `rules[0].scope: "Global" is not one of`},
		{base + "rules: [{operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], verbs: [get]}]\n", `unknown field "verbs"`},
	} {
		if _, err := DecodeManifest([]byte(c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
	if _, err := DecodeManifest([]byte(base + "rules: [" + rule + "]\n")); err != nil {
		t.Errorf("a valid rule: %v", err)
	}
}

// TestGuardSkipsRequestsTheRulesDoNotMatch: the plugin is not called on them, and they are not
// counted as its calls.
func TestGuardSkipsRequestsTheRulesDoNotMatch(t *testing.T) {
	m, err := DecodeManifest([]byte("name: pods-only\nkind: ValidatingAdmission\nabiVersion: \"1.2\"\nentry: a.wasm\n" +
		"rules: [{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	p := validatingFunc(func(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error) {
		calls++
		return abi.AdmissionResponse{Allowed: false}, nil
	})
	g, err := WithFailurePolicy(m, ModeWasm, p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := g.(abi.ValidatingAdmission)
	for _, c := range []struct {
		resource string
		allowed  bool
		calls    int
	}{{"configmaps", true, 0}, {"pods", false, 1}} {
		review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "u", Operation: "CREATE",
			Resource: abi.GroupVersionResource{Version: "v1", Resource: c.resource}, Namespace: "ns"})
		resp, err := v.Validate(context.Background(), review)
		if err != nil || resp.Allowed != c.allowed || resp.UID != "u" || calls != c.calls {
			t.Errorf("%s: %+v, %v, %d calls; want allowed %v after %d calls", c.resource, resp, err, calls, c.allowed, c.calls)
		}
	}
}

// validatingFunc makes a function a validating plugin.
type validatingFunc func(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error)

func (f validatingFunc) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return f(ctx, r)
}
func (validatingFunc) Provision(context.Context, []byte, abi.Host) error { return nil }
func (validatingFunc) Close() error                                      { return nil }
