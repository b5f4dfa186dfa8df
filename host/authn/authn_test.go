package authn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http/httptest"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

func TestBearerToken(t *testing.T) {
	cases := []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"  Bearer abc  ", "abc"},
		{"Bearer abc extra", "abc"},
		{"Bearer", ""},
		{"Basic abc", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := BearerToken(tc.header); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestReviewForCarriesOnlyVerifiedChains(t *testing.T) {
	leaf := &x509.Certificate{Raw: []byte("leaf")}
	ca := &x509.Certificate{Raw: []byte("ca")}
	r := httptest.NewRequest("GET", "/api", nil)
	r.Header.Set("Authorization", "Bearer tok")
	r.Header.Set("X-Remote-User", "x")

	// Presented but not verified: not carried.
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	if rv := ReviewFor(r); len(rv.Spec.ClientCertificates) != 0 {
		t.Fatal("unverified certificates reached the review")
	}
	r.TLS.VerifiedChains = [][]*x509.Certificate{{leaf, ca}}
	rv := ReviewFor(r)
	if len(rv.Spec.ClientCertificates) != 2 || string(rv.Spec.ClientCertificates[0]) != "leaf" || string(rv.Spec.ClientCertificates[1]) != "ca" {
		t.Fatalf("chain %q", rv.Spec.ClientCertificates)
	}
	if rv.Spec.Token != "tok" || rv.Spec.Headers["X-Remote-User"][0] != "x" || rv.Kind != "TokenReview" || rv.APIVersion != "authentication.k8s.io/v1" {
		t.Fatalf("review %+v", rv)
	}
	// The review's headers are a copy: authentication removing Authorization later does not
	// change what plugins saw, and plugins cannot change the request.
	rv.Spec.Headers["X-Remote-User"][0] = "changed"
	if r.Header.Get("X-Remote-User") != "x" {
		t.Fatal("review headers alias the request's")
	}
}

type oneToken struct{}

func (oneToken) Authenticate(_ context.Context, rv *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if rv.Spec.Token == "good" && len(rv.Spec.ClientCertificates) == 0 {
		return abi.TokenReviewStatus{Authenticated: true, User: abi.UserInfo{Username: "alice"}}, nil
	}
	return abi.TokenReviewStatus{}, nil
}

func TestAuthenticateToken(t *testing.T) {
	u := NewUnion(true, Named{Name: "t", Authenticator: oneToken{}})
	ctx := context.Background()
	user, ok, err := u.AuthenticateToken(ctx, "good")
	if err != nil || !ok || user.Username != "alice" {
		t.Fatalf("good token: %+v %v %v", user, ok, err)
	}
	// Neither the anonymous user nor an "invalid bearer token" error: just not authenticated.
	if user, ok, err := u.AuthenticateToken(ctx, "bad"); err != nil || ok || user != nil {
		t.Fatalf("bad token: %+v %v %v", user, ok, err)
	}
}
