package pluginkit_test

import (
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

func sar(user, namespace string) *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &abi.ResourceAttributes{Namespace: namespace, Verb: "get", Version: "v1", Resource: "pods"}})
}

// TestProcessMode runs a plugin process through the kit: answers, a plugin error, and host
// services served over the broker from the spec's reader, limited to the spec's capabilities.
func TestProcessMode(t *testing.T) {
	reader := pluginapi.NewFixtureReader()
	reader.Put(abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", "team-a", []byte(`{"metadata":{"name":"team-a"}}`))
	spec := pluginkit.Spec{Name: "procauthz", Kind: abi.KindAuthorizer, Reader: reader,
		Capabilities: pluginapi.Capabilities{Resources: []pluginapi.ResourceCapability{{Version: "v1", Resource: "namespaces", Verbs: []string{"get"}}}}}
	pluginkit.Run(t, []pluginkit.Case{
		{Name: "allow", Review: sar("alice", "team-a"), Want: pluginkit.Want{Allowed: true, Message: "alice may"}},
		{Name: "deny", Review: sar("mallory", "team-a"), Want: pluginkit.Want{Denied: true, Message: "mallory may not"}},
		{Name: "plugin error", Review: sar("error", "team-a"), Want: pluginkit.Want{Err: `plugin "procauthz" failed: error: asked to fail`}},
		{Name: "host read", Review: sar("bob", "team-a"), Want: pluginkit.Want{Message: `{"metadata":{"name":"team-a"}}`}},
		{Name: "host read, not found", Review: sar("bob", "team-b"), Want: pluginkit.Want{Err: "not found"}},
	}, pluginkit.Process(spec, "./testdata/procauthz"))

	spec.Capabilities = pluginapi.Capabilities{}
	pluginkit.Run(t, []pluginkit.Case{
		{Name: "host read without the capability", Review: sar("bob", "team-a"),
			Want: pluginkit.Want{Err: "get v1/namespaces: not permitted by the plugin's manifest"}},
	}, pluginkit.Process(spec, "./testdata/procauthz"))
}

func TestBuildProcessPluginGivesEachCallerItsOwnCopy(t *testing.T) {
	a := pluginkit.BuildProcessPlugin(t, "./testdata/procauthz")
	b := pluginkit.BuildProcessPlugin(t, "./testdata/procauthz")
	if a == b {
		t.Fatalf("two builds share the path %s", a)
	}
}
