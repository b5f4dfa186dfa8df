// Package alwaysdeny is the AlwaysDeny authorizer (--authorization-mode=AlwaysDeny). Like kube's,
// it has no opinion on anything ("Everything is forbidden."), so a later authorizer in the union
// may still allow, and a request nobody allows is forbidden. It imports abi and plugins only.
package alwaysdeny

import (
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name (and the --authorization-mode value).
const Name = "AlwaysDeny"

// Reason is the reason kube's AlwaysDeny gives.
const Reason = "Everything is forbidden."

func init() { plugins.Register(Name, func() abi.Plugin { return &Authorizer{} }) }

// Reads is the manifest's reads of its loadable forms (abi/SPEC.md 2.1): it reads nothing of a
// review, so it is sent only the review's apiVersion and kind.
var Reads = []string{}

// Authorizer answers no opinion, with kube's reason.
type Authorizer struct{}

var _ abi.Authorizer = (*Authorizer)(nil)

// Provision accepts an empty configuration (or {}) only.
func (a *Authorizer) Provision(_ context.Context, config []byte, _ abi.Host) error {
	return plugins.DecodeConfig(config, &struct{}{})
}

// Authorize has no opinion.
func (a *Authorizer) Authorize(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return abi.SubjectAccessReviewStatus{Reason: Reason}, nil
}

// Close does nothing.
func (a *Authorizer) Close() error { return nil }
