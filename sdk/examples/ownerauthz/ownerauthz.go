// Package ownerauthz is an example authorizer that runs as a plugin process: a user may write
// (create, update, patch, delete, deletecollection) in a namespace only if the namespace's owner
// label names them. It reads the namespace through the host services (GetObject on core/v1
// namespaces, which its manifest declares), so it shows the broker's callbacks at work.
//
// Its answers: a write into a namespace whose owner label names someone else is Denied, with a
// reason naming the owner; everything else (no label, the owner's own writes, reads, a namespace
// that does not exist, cluster-scoped resources, non-resource paths) is no opinion, left to the
// authorizers after it (RBAC, AlwaysAllow ...). Since the namespace's own path is in the
// namespace (kube's RequestInfo gives /api/v1/namespaces/x the namespace x), only the owner may
// change or delete the namespace, its owner label included.
//
// It imports abi and the standard library only; process/main.go serves it with sdk/process.
package ownerauthz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
)

// Reads are the parts of a SubjectAccessReview the policy reads, its manifest's reads
// (abi/SPEC.md 2.1; manifest.yaml lists the same, which a test checks): the user and what they
// ask to do to a resource. Groups, extra and non-resource requests are not sent.
var Reads = []string{"/spec/user", "/spec/resourceAttributes"}

// Config is the plugin's configuration, decoded strictly.
type Config struct {
	// Label is the namespace label naming the owner; default "owner".
	Label string `json:"label,omitempty"`
}

// DefaultLabel is the owner label when the configuration names none.
const DefaultLabel = "owner"

// Plugin is the authorizer. Provision must be called before Authorize.
type Plugin struct {
	label string
	host  abi.Host
}

// Provision decodes the configuration and keeps the host services.
func (p *Plugin) Provision(_ context.Context, config []byte, host abi.Host) error {
	var c Config
	if len(config) > 0 {
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return fmt.Errorf("ownerauthz config: %w", err)
		}
	}
	if c.Label == "" {
		c.Label = DefaultLabel
	}
	if host == nil {
		return errors.New("ownerauthz needs the host services to read namespaces")
	}
	p.label, p.host = c.Label, host
	return nil
}

// Close does nothing.
func (p *Plugin) Close() error { return nil }

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

var namespaces = abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// Authorize denies writes into a namespace owned by someone else, and has no opinion otherwise.
func (p *Plugin) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	ra := review.Spec.ResourceAttributes
	if ra == nil || ra.Namespace == "" || !writeVerbs[ra.Verb] {
		return abi.SubjectAccessReviewStatus{}, nil
	}
	raw, err := p.host.GetObject(ctx, namespaces, "", ra.Namespace)
	if errors.Is(err, abi.ErrNotFound) {
		return abi.SubjectAccessReviewStatus{}, nil // nothing to own; the write fails on its own
	}
	if err != nil {
		return abi.SubjectAccessReviewStatus{}, fmt.Errorf("reading namespace %q: %w", ra.Namespace, err)
	}
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		return abi.SubjectAccessReviewStatus{}, fmt.Errorf("decoding namespace %q: %w", ra.Namespace, err)
	}
	owner := ns.Metadata.Labels[p.label]
	if owner == "" || owner == review.Spec.User {
		return abi.SubjectAccessReviewStatus{}, nil
	}
	return abi.SubjectAccessReviewStatus{Denied: true, Reason: fmt.Sprintf(
		"namespace %q belongs to %q (label %s): %q may not %s %s there", ra.Namespace, owner, p.label, review.Spec.User, ra.Verb, resource(ra))}, nil
}

func resource(ra *abi.ResourceAttributes) string {
	r := ra.Resource
	if ra.Group != "" {
		r += "." + ra.Group
	}
	if ra.Subresource != "" {
		r += "/" + ra.Subresource
	}
	return r
}
