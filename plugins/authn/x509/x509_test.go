package x509

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
)

func certDER(t *testing.T, subject pkix.Name) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestAuthenticate(t *testing.T) {
	cases := []struct {
		name     string
		certs    [][]byte
		authed   bool
		user     string
		groups   []string
		errorHas string
	}{
		{"no certificate", nil, false, "", nil, ""},
		{"admin", [][]byte{certDER(t, pkix.Name{CommonName: "kapi-admin", Organization: []string{"system:masters"}})}, true, "kapi-admin", []string{"system:masters"}, ""},
		{"several orgs", [][]byte{certDER(t, pkix.Name{CommonName: "bob", Organization: []string{"a", "b"}})}, true, "bob", []string{"a", "b"}, ""},
		{"no org", [][]byte{certDER(t, pkix.Name{CommonName: "carol"})}, true, "carol", nil, ""},
		{"empty CN", [][]byte{certDER(t, pkix.Name{Organization: []string{"x"}})}, false, "", nil, "common name"},
		{"garbage", [][]byte{[]byte("not der")}, false, "", nil, "parsing client certificate"},
	}
	a := &Authenticator{}
	if err := a.Provision(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := a.Authenticate(context.Background(), abi.NewTokenReview(abi.TokenReviewSpec{ClientCertificates: tc.certs}))
			if err != nil {
				t.Fatal(err)
			}
			if st.Authenticated != tc.authed || st.User.Username != tc.user || strings.Join(st.User.Groups, ",") != strings.Join(tc.groups, ",") {
				t.Fatalf("got %+v", st)
			}
			if (tc.errorHas == "") != (st.Error == "") || !strings.Contains(st.Error, tc.errorHas) {
				t.Fatalf("error %q, want containing %q", st.Error, tc.errorHas)
			}
		})
	}
}

func TestProvisionIsStrict(t *testing.T) {
	if err := (&Authenticator{}).Provision(context.Background(), []byte(`{"clientCAFile":"/x"}`), nil); err == nil {
		t.Fatal("unknown field accepted")
	}
}

// TestRememberedAnswersStayCorrect asks again for certificates already seen, past the bound of
// remembered ones, and checks that a caller changing an answer's groups changes no later answer.
func TestRememberedAnswersStayCorrect(t *testing.T) {
	a := &Authenticator{}
	ask := func(der []byte) abi.TokenReviewStatus {
		st, err := a.Authenticate(context.Background(), abi.NewTokenReview(abi.TokenReviewSpec{ClientCertificates: [][]byte{der}}))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := certDER(t, pkix.Name{CommonName: "first", Organization: []string{"team"}})
	st := ask(first)
	st.User.Groups[0] = "changed by the caller"
	for i := range maxKnown + 10 {
		name := "user-" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		der := certDER(t, pkix.Name{CommonName: name, Organization: []string{name}})
		if got := ask(der); got.User.Username != name || got.User.Groups[0] != name {
			t.Fatalf("certificate %d: got %+v, want user and group %q", i, got, name)
		}
		if i == maxKnown/2 {
			if again := ask(first); again.User.Username != "first" || strings.Join(again.User.Groups, ",") != "team" {
				t.Fatalf("remembered answer: got %+v", again)
			}
		}
	}
	if len(a.known) > maxKnown {
		t.Fatalf("%d certificates remembered, bound %d", len(a.known), maxKnown)
	}
	if again := ask(first); again.User.Username != "first" || strings.Join(again.User.Groups, ",") != "team" {
		t.Fatalf("after the map was emptied: got %+v", again)
	}
}
