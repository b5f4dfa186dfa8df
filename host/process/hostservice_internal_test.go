package process

import (
	"context"
	"errors"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// FuzzHostService feeds arbitrary request bytes, as a hostile plugin may send them, to every Host
// service method: none may panic, and every failure must be an *abi.HostError, so that it crosses
// back as the SPEC's status code rather than as an internal error.
func FuzzHostService(f *testing.F) {
	for _, seed := range []string{
		`{"resource":{"group":"","version":"v1","resource":"namespaces"},"name":"team-a"}`,
		`{"resource":{"version":"v1","resource":"secrets"},"namespace":"a","name":"b"}`,
		`{"resource":{"version":"v1","resource":"namespaces"},"labelSelector":"a=b"}`,
		`{"method":"GET","url":"https://example.com/x","body":"aGk="}`,
		`{"url":"::"}`, "\x02warn", "", "null", "[]", `{"resource":1}`,
	} {
		f.Add([]byte(seed))
	}
	m := &pluginapi.Manifest{Name: "fuzz", Kind: abi.KindAuthorizer, ABIVersion: abi.Version, Mode: pluginapi.ModeProcess, Entry: "x",
		Capabilities: pluginapi.Capabilities{Resources: []pluginapi.ResourceCapability{{Version: "v1", Resource: "namespaces", Verbs: []string{"get", "list"}}}}}
	m.SetDefaults()
	reader := pluginapi.NewFixtureReader()
	reader.Put(abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", "team-a", []byte(`{"metadata":{"name":"team-a"}}`))
	host := pluginapi.NewHostServices(m, nil, reader, nil)
	calls := map[string]hostCall{"log": hostLog, "get": hostGetObject, "list": hostListObjects, "http": hostHTTP, "now": hostNow}
	f.Fuzz(func(t *testing.T, req []byte) {
		for name, call := range calls {
			_, err := call(host, context.Background(), req)
			var he *abi.HostError
			if err != nil && !errors.As(err, &he) {
				t.Errorf("%s(%q): error %T %v is not a HostError", name, req, err, err)
			}
		}
	})
}
