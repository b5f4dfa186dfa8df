// Package x509 is the client-certificate authenticator, as kube's x509 authenticator with its
// CommonName user conversion: the leaf certificate's Subject CommonName is the username and its
// Organizations are the groups. It does not verify the chain: the server's TLS layer has verified
// it against --client-ca-file before the TokenReview carries it (abi.TokenReviewSpec's
// ClientCertificates are present only when verified). It imports abi and plugins only.
package x509

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name.
const Name = "x509"

func init() { plugins.Register(Name, func() abi.Plugin { return &Authenticator{} }) }

// Authenticator maps a verified client certificate to a user.
type Authenticator struct{}

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
	leaf, err := x509.ParseCertificate(review.Spec.ClientCertificates[0])
	if err != nil {
		return abi.TokenReviewStatus{Error: fmt.Sprintf("parsing client certificate: %v", err)}, nil
	}
	if leaf.Subject.CommonName == "" {
		return abi.TokenReviewStatus{Error: "common name of the client certificate is empty"}, nil
	}
	return abi.TokenReviewStatus{
		Authenticated: true,
		User: abi.UserInfo{
			Username: leaf.Subject.CommonName,
			Groups:   append([]string(nil), leaf.Subject.Organization...),
		},
	}, nil
}

// Close does nothing.
func (a *Authenticator) Close() error { return nil }
