package plugins_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	builtins "github.com/kapi-dev/kapi/plugins"
	"github.com/kapi-dev/kapi/plugins/admission/namespacelifecycle"
	_ "github.com/kapi-dev/kapi/plugins/all"
	"github.com/kapi-dev/kapi/plugins/authn/tokenfile"
	x509authn "github.com/kapi-dev/kapi/plugins/authn/x509"
	"github.com/kapi-dev/kapi/plugins/authz/alwaysallow"
	"github.com/kapi-dev/kapi/plugins/authz/alwaysdeny"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// equivalence runs cases against the built-in called name natively, as the Wasm guest and as the
// process plugin built from plugins/loadable/<dir>: every mode must give the same answers. It
// lives here, not beside the built-ins, because loading them needs the host's runtimes and
// plugins/ must never import host/.
func equivalence(t *testing.T, name, dir string, spec pluginkit.Spec, cases []pluginkit.Case) {
	t.Helper()
	dir = filepath.Join("..", "..", "plugins", "loadable", dir)
	newPlugin, ok := builtins.Lookup(name)
	if !ok {
		t.Fatalf("built-in %q not registered", name)
	}
	pluginkit.Run(t, cases,
		pluginkit.Native(spec, newPlugin()),
		pluginkit.Wasm(spec, dir),
		pluginkit.Process(spec, dir),
	)
}

func certificate(t *testing.T, cn string, orgs ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestX509Equivalence(t *testing.T) {
	spec := pluginkit.Spec{Name: "x509", Kind: abi.KindAuthenticator, Reads: x509authn.Reads}
	equivalence(t, "x509", "x509", spec, []pluginkit.Case{
		{Name: "no certificate", Review: abi.NewTokenReview(abi.TokenReviewSpec{Token: "abc"}), Want: pluginkit.Want{}},
		{Name: "certificate", Review: abi.NewTokenReview(abi.TokenReviewSpec{ClientCertificates: [][]byte{certificate(t, "alice", "dev", "ops")}}),
			Want: pluginkit.Want{Allowed: true, Username: "alice"}},
		{Name: "no common name", Review: abi.NewTokenReview(abi.TokenReviewSpec{ClientCertificates: [][]byte{certificate(t, "", "dev")}}),
			Want: pluginkit.Want{Message: "common name of the client certificate is empty"}},
		{Name: "garbage certificate", Review: abi.NewTokenReview(abi.TokenReviewSpec{ClientCertificates: [][]byte{[]byte("nope")}}),
			Want: pluginkit.Want{Message: "parsing client certificate"}},
	})
}

func TestTokenFileEquivalence(t *testing.T) {
	spec := pluginkit.Spec{Name: "tokenfile", Kind: abi.KindAuthenticator, Reads: tokenfile.Reads,
		Config: `{"tokens": "secret-a,alice,uid-a,\"dev,ops\"\nsecret-b,bob,uid-b\n"}`}
	equivalence(t, "tokenfile", "tokenfile", spec, []pluginkit.Case{
		{Name: "known token", Review: abi.NewTokenReview(abi.TokenReviewSpec{Token: "secret-a"}), Want: pluginkit.Want{Allowed: true, Username: "alice"}},
		{Name: "other token", Review: abi.NewTokenReview(abi.TokenReviewSpec{Token: "secret-b"}), Want: pluginkit.Want{Allowed: true, Username: "bob"}},
		{Name: "unknown token", Review: abi.NewTokenReview(abi.TokenReviewSpec{Token: "nope"}), Want: pluginkit.Want{}},
		{Name: "no token", Review: abi.NewTokenReview(abi.TokenReviewSpec{}), Want: pluginkit.Want{}},
	})
}

func sar(user string, groups []string, verb, resource string) *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: user, Groups: groups,
		ResourceAttributes: &abi.ResourceAttributes{Namespace: "ns", Verb: verb, Version: "v1", Resource: resource}})
}

func TestAlwaysAllowEquivalence(t *testing.T) {
	spec := pluginkit.Spec{Name: "alwaysallow", Kind: abi.KindAuthorizer, Reads: alwaysallow.Reads}
	equivalence(t, "AlwaysAllow", "alwaysallow", spec, []pluginkit.Case{
		{Name: "user", Review: sar("alice", nil, "create", "pods"), Want: pluginkit.Want{Allowed: true}},
		{Name: "anonymous", Review: sar("system:anonymous", []string{"system:unauthenticated"}, "delete", "secrets"), Want: pluginkit.Want{Allowed: true}},
	})
}

func TestAlwaysDenyEquivalence(t *testing.T) {
	spec := pluginkit.Spec{Name: "alwaysdeny", Kind: abi.KindAuthorizer, Reads: alwaysdeny.Reads}
	equivalence(t, "AlwaysDeny", "alwaysdeny", spec, []pluginkit.Case{
		{Name: "user", Review: sar("alice", nil, "get", "pods"), Want: pluginkit.Want{Message: "Everything is forbidden."}},
		{Name: "masters", Review: sar("admin", []string{"system:masters"}, "delete", "pods"), Want: pluginkit.Want{Message: "Everything is forbidden."}},
	})
}

func admissionReview(op, resource, kind, namespace, name string) *abi.AdmissionReview {
	return abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "uid-1", Operation: op, Namespace: namespace, Name: name,
		Kind:     abi.GroupVersionKind{Version: "v1", Kind: kind},
		Resource: abi.GroupVersionResource{Version: "v1", Resource: resource},
		Object:   []byte(`{"apiVersion":"v1","kind":"` + kind + `","metadata":{"name":"` + name + `"}}`)})
}

func TestNamespaceLifecycleEquivalence(t *testing.T) {
	reader := pluginapi.NewFixtureReader()
	reader.Put(namespacelifecycle.Namespaces, "", "live", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"live"},"status":{"phase":"Active"}}`))
	reader.Put(namespacelifecycle.Namespaces, "", "ending", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ending"},"status":{"phase":"Terminating"}}`))
	spec := pluginkit.Spec{Name: "namespacelifecycle", Kind: abi.KindValidatingAdmission, Reader: reader, Reads: namespacelifecycle.Reads,
		Capabilities: pluginapi.Capabilities{Resources: []pluginapi.ResourceCapability{{Version: "v1", Resource: "namespaces", Verbs: []string{"get"}}}}}
	equivalence(t, namespacelifecycle.Name, "namespacelifecycle", spec, []pluginkit.Case{
		{Name: "create in a live namespace", Review: admissionReview("CREATE", "pods", "Pod", "live", "p"), Want: pluginkit.Want{Allowed: true}},
		{Name: "create in a missing namespace", Review: admissionReview("CREATE", "pods", "Pod", "gone", "p"),
			Want: pluginkit.Want{Message: `namespaces "gone" not found`}},
		{Name: "create in a terminating namespace", Review: admissionReview("CREATE", "configmaps", "ConfigMap", "ending", "c"),
			Want: pluginkit.Want{Message: `configmaps "c" is forbidden: unable to create new content in namespace ending because it is being terminated`}},
		{Name: "update in a terminating namespace", Review: admissionReview("UPDATE", "configmaps", "ConfigMap", "ending", "c"), Want: pluginkit.Want{Allowed: true}},
		{Name: "delete kube-system", Review: admissionReview("DELETE", "namespaces", "Namespace", "", "kube-system"),
			Want: pluginkit.Want{Message: `namespaces "kube-system" is forbidden: this namespace may not be deleted`}},
		{Name: "delete another namespace", Review: admissionReview("DELETE", "namespaces", "Namespace", "", "live"), Want: pluginkit.Want{Allowed: true}},
		{Name: "create a namespace", Review: admissionReview("CREATE", "namespaces", "Namespace", "", "new"), Want: pluginkit.Want{Allowed: true}},
	})
}
