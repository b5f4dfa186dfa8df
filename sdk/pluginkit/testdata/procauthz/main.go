// Command procauthz is the plugin process sdk/pluginkit's process mode is tested with: an
// authorizer that allows alice, denies mallory, fails for "error" and reads the namespace through
// the host for anyone else.
package main

import (
	"context"
	"errors"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/process"
)

type authz struct{ host abi.Host }

func (a *authz) Provision(_ context.Context, _ []byte, host abi.Host) error {
	a.host = host
	return nil
}

func (a *authz) Close() error { return nil }

func (a *authz) Authorize(ctx context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	switch r.Spec.User {
	case "alice":
		return abi.SubjectAccessReviewStatus{Allowed: true, Reason: "alice may"}, nil
	case "mallory":
		return abi.SubjectAccessReviewStatus{Denied: true, Reason: "mallory may not"}, nil
	case "error":
		return abi.SubjectAccessReviewStatus{}, errors.New("asked to fail")
	}
	ns, err := a.host.GetObject(ctx, abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", r.Spec.ResourceAttributes.Namespace)
	if err != nil {
		return abi.SubjectAccessReviewStatus{}, err
	}
	return abi.SubjectAccessReviewStatus{Reason: string(ns)}, nil
}

func main() { process.Serve(&authz{}) }
