package ownerauthz_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/sdk/examples/ownerauthz"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

var namespaces = abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func namespacesReader() *pluginapi.FixtureReader {
	r := pluginapi.NewFixtureReader()
	r.Put(namespaces, "", "team-a", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"owner":"alice"}}}`))
	r.Put(namespaces, "", "shared", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shared","labels":{"team":"all"}}}`))
	return r
}

func write(user, verb, namespace, resource string) *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: user, Groups: []string{"system:authenticated"},
		ResourceAttributes: &abi.ResourceAttributes{Namespace: namespace, Verb: verb, Version: "v1", Resource: resource, Name: "x"}})
}

func cases() []pluginkit.Case {
	noOpinion := pluginkit.Want{}
	denied := func(msg string) pluginkit.Want { return pluginkit.Want{Denied: true, Message: msg} }
	tests := []pluginkit.Case{
		{Name: "owner creates", Review: write("alice", "create", "team-a", "configmaps"), Want: noOpinion},
		{Name: "owner deletes the namespace", Review: write("alice", "delete", "team-a", "namespaces"), Want: noOpinion},
		{Name: "no owner label", Review: write("bob", "create", "shared", "configmaps"), Want: noOpinion},
		{Name: "namespace does not exist", Review: write("bob", "create", "nowhere", "configmaps"), Want: noOpinion},
		{Name: "someone else reads", Review: write("bob", "get", "team-a", "secrets"), Want: noOpinion},
		{Name: "someone else lists", Review: write("bob", "list", "team-a", "pods"), Want: noOpinion},
		{Name: "someone else watches", Review: write("bob", "watch", "team-a", "pods"), Want: noOpinion},
		{Name: "cluster-scoped write", Review: write("bob", "create", "", "nodes"), Want: noOpinion},
		{Name: "non-resource", Review: abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "bob",
			NonResourceAttributes: &abi.NonResourceAttributes{Path: "/healthz", Verb: "get"}}), Want: noOpinion},
		{Name: "someone else relabels the namespace", Review: write("bob", "patch", "team-a", "namespaces"),
			Want: denied(`namespace "team-a" belongs to "alice" (label owner): "bob" may not patch namespaces there`)},
	}
	for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection"} {
		tests = append(tests, pluginkit.Case{Name: "someone else may not " + verb, Review: write("bob", verb, "team-a", "configmaps"),
			Want: denied(`"bob" may not ` + verb + ` configmaps there`)})
	}
	subresource := write("bob", "update", "team-a", "deployments")
	subresource.Spec.ResourceAttributes.Group, subresource.Spec.ResourceAttributes.Subresource = "apps", "scale"
	tests = append(tests, pluginkit.Case{Name: "subresource", Review: subresource, Want: denied(`may not update deployments.apps/scale there`)})
	return tests
}

func spec(reader pluginapi.ObjectReader) pluginkit.Spec {
	return pluginkit.Spec{Name: "ownerauthz", Kind: abi.KindAuthorizer, Config: `{"label":"owner"}`, Reader: reader, Reads: ownerauthz.Reads,
		Capabilities: pluginapi.Capabilities{Resources: []pluginapi.ResourceCapability{{Version: "v1", Resource: "namespaces", Verbs: []string{"get"}}}}}
}

// TestOwnerAuthz runs one case table natively and as a plugin process (built with go build,
// loaded by host/process, reading namespaces over go-plugin's broker); the kit checks both
// modes give the same answers.
func TestOwnerAuthz(t *testing.T) {
	s := spec(namespacesReader())
	pluginkit.Run(t, cases(), pluginkit.Native(s, &ownerauthz.Plugin{}), pluginkit.Process(s, "./process"))
}

// TestManifestReads checks that the manifest an operator deploys declares the reads the tests
// run with.
func TestManifestReads(t *testing.T) {
	data, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := pluginapi.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Reads, ownerauthz.Reads) {
		t.Errorf("manifest.yaml reads %q, the package's Reads %q", m.Reads, ownerauthz.Reads)
	}
}

// TestWithoutTheCapability shows the host enforcing the manifest: a plugin that does not declare
// namespaces cannot read them, and its write decisions fail (by the failure policy) instead.
func TestWithoutTheCapability(t *testing.T) {
	s := spec(namespacesReader())
	s.Capabilities = pluginapi.Capabilities{}
	c := pluginkit.Case{Name: "write", Review: write("bob", "create", "team-a", "configmaps"),
		Want: pluginkit.Want{Err: `reading namespace "team-a": get v1/namespaces: not permitted by the plugin's manifest`}}
	pluginkit.Run(t, []pluginkit.Case{c}, pluginkit.Native(s, &ownerauthz.Plugin{}), pluginkit.Process(s, "./process"))
}

// TestManifest keeps the manifest the README points at valid and in step with the code.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := pluginapi.DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Mode != pluginapi.ModeProcess || m.Kind != abi.KindAuthorizer || m.Entry != "ownerauthz" {
		t.Errorf("manifest: mode %q kind %q entry %q", m.Mode, m.Kind, m.Entry)
	}
	if got := m.Capabilities.Resources; len(got) != 1 || got[0].Resource != "namespaces" || strings.Join(got[0].Verbs, ",") != "get" {
		t.Errorf("manifest capabilities %+v, want get on core/v1 namespaces", got)
	}
	p := &ownerauthz.Plugin{}
	if err := p.Provision(context.Background(), m.ConfigJSON(), pluginapi.NewHostServices(m, nil, nil, nil)); err != nil {
		t.Errorf("the manifest's config: %v", err)
	}
}

func TestConfigIsStrict(t *testing.T) {
	p := &ownerauthz.Plugin{}
	err := p.Provision(context.Background(), []byte(`{"lable":"owner"}`), pluginapi.NewHostServices(&pluginapi.Manifest{Name: "x"}, nil, nil, nil))
	if err == nil || !strings.Contains(err.Error(), `unknown field "lable"`) {
		t.Fatalf("misspelt field: %v", err)
	}
}
