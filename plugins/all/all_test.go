package all

import (
	"context"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

func TestBuiltinsRegistered(t *testing.T) {
	cases := []struct {
		name  string
		check func(abi.Plugin) bool
	}{
		{"x509", func(p abi.Plugin) bool { _, ok := p.(abi.Authenticator); return ok }},
		{"tokenfile", func(p abi.Plugin) bool { _, ok := p.(abi.Authenticator); return ok }},
		{"AlwaysAllow", func(p abi.Plugin) bool { _, ok := p.(abi.Authorizer); return ok }},
		{"AlwaysDeny", func(p abi.Plugin) bool { _, ok := p.(abi.Authorizer); return ok }},
	}
	for _, tc := range cases {
		newPlugin, ok := plugins.Lookup(tc.name)
		if !ok {
			t.Fatalf("%s not registered (have %v)", tc.name, plugins.Names())
		}
		p := newPlugin()
		if !tc.check(p) {
			t.Fatalf("%s has the wrong kind: %T", tc.name, p)
		}
	}
	if _, ok := plugins.Lookup("Webhook"); ok {
		t.Fatal("unknown name found")
	}
}

func TestAuthorizersDecideAsKube(t *testing.T) {
	cases := []struct {
		name            string
		allowed, denied bool
		reason          string
	}{
		{"AlwaysAllow", true, false, ""},
		// kube's AlwaysDeny has no opinion, so later authorizers may still allow.
		{"AlwaysDeny", false, false, "Everything is forbidden."},
	}
	for _, tc := range cases {
		newPlugin, _ := plugins.Lookup(tc.name)
		p := newPlugin()
		if err := p.Provision(context.Background(), []byte(`{}`), nil); err != nil {
			t.Fatal(err)
		}
		if err := p.Provision(context.Background(), []byte(`{"x":1}`), nil); err == nil {
			t.Fatalf("%s: unknown config field accepted", tc.name)
		}
		st, err := p.(abi.Authorizer).Authorize(context.Background(), abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "u"}))
		if err != nil || st.Allowed != tc.allowed || st.Denied != tc.denied || st.Reason != tc.reason {
			t.Fatalf("%s: %+v %v", tc.name, st, err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
