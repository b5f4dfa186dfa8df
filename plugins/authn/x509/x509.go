// Package x509 is the client-certificate authenticator, as kube's x509 authenticator with its
// CommonName user conversion: the leaf certificate's Subject CommonName is the username and its
// Organizations are the groups. It does not verify the chain: the server's TLS layer has verified
// it against --client-ca-file before the TokenReview carries it (abi.TokenReviewSpec's
// ClientCertificates are present only when verified). It imports abi and plugins only.
//
// A client sends the same certificate on every request, and parsing it was 5-6% of the server's
// CPU for small writes; since the user is a function of the certificate's bytes alone, the
// authenticator remembers the answers for the last certificates it parsed (a bounded map, emptied
// when full, so a stream of distinct certificates costs no more than parsing each).
package x509

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name.
const Name = "x509"

func init() { plugins.Register(Name, func() abi.Plugin { return &Authenticator{} }) }

// Reads is the manifest's reads of its loadable forms (abi/SPEC.md 2.1): the verified chain
// only; headers and tokens are not sent.
var Reads = []string{"/spec/clientCertificates"}

// Authenticator maps a verified client certificate to a user.
type Authenticator struct {
	mu sync.Mutex
	// known holds the answers for recently seen leaf certificates, by their DER bytes.
	known map[string]abi.TokenReviewStatus
}

// maxKnown bounds the remembered certificates; at this size the map is emptied and refilled.
const maxKnown = 1024

var _ abi.Authenticator = (*Authenticator)(nil)

// Provision accepts an empty configuration (or {}) only: the client CA is the TLS layer's.
func (a *Authenticator) Provision(_ context.Context, config []byte, _ abi.Host) error {
	return plugins.DecodeConfig(config, &struct{}{})
}

// Authenticate answers not-authenticated (no error) without a certificate, so the union asks the
// next authenticator; a certificate without a CommonName is an error, as in kube.
func (a *Authenticator) Authenticate(_ context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if len(review.Spec.ClientCertificates) == 0 {
		return abi.TokenReviewStatus{}, nil
	}
	der := review.Spec.ClientCertificates[0]
	a.mu.Lock()
	st, ok := a.known[string(der)]
	a.mu.Unlock()
	if ok {
		st.User.Groups = append([]string(nil), st.User.Groups...)
		return st, nil
	}
	st = userOf(der)
	a.mu.Lock()
	if a.known == nil || len(a.known) >= maxKnown {
		a.known = make(map[string]abi.TokenReviewStatus)
	}
	a.known[string(der)] = st
	a.mu.Unlock()
	st.User.Groups = append([]string(nil), st.User.Groups...)
	return st, nil
}

// userOf is the answer for one leaf certificate in DER.
func userOf(der []byte) abi.TokenReviewStatus {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return abi.TokenReviewStatus{Error: fmt.Sprintf("parsing client certificate: %v", err)}
	}
	if leaf.Subject.CommonName == "" {
		return abi.TokenReviewStatus{Error: "common name of the client certificate is empty"}
	}
	return abi.TokenReviewStatus{
		Authenticated: true,
		User: abi.UserInfo{
			Username: leaf.Subject.CommonName,
			Groups:   append([]string(nil), leaf.Subject.Organization...),
		},
	}
}

// Close does nothing.
func (a *Authenticator) Close() error { return nil }
