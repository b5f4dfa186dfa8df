// Package alwaysallow is the AlwaysAllow authorizer (--authorization-mode=AlwaysAllow): every
// request is allowed, as kube's. It imports abi and plugins only.
package alwaysallow

import (
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name (and the --authorization-mode value).
const Name = "AlwaysAllow"

func init() { plugins.Register(Name, func() abi.Plugin { return &Authorizer{} }) }

// Reads is the manifest's reads of its loadable forms (abi/SPEC.md 2.1): it reads nothing of a
// review, so it is sent only the review's apiVersion and kind.
var Reads = []string{}

// Authorizer allows everything.
type Authorizer struct{}

var _ abi.Authorizer = (*Authorizer)(nil)

// Provision accepts an empty configuration (or {}) only.
func (a *Authorizer) Provision(_ context.Context, config []byte, _ abi.Host) error {
	return plugins.DecodeConfig(config, &struct{}{})
}

// Authorize allows.
func (a *Authorizer) Authorize(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return abi.SubjectAccessReviewStatus{Allowed: true}, nil
}

// Close does nothing.
func (a *Authorizer) Close() error { return nil }
