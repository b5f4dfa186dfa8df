// Package namespacelifecycle is kube's NamespaceLifecycle validating admission plugin: no object
// is created in a namespace that does not exist or is being terminated, and the namespaces
// default, kube-system and kube-public may not be deleted. It reads namespaces through the host's
// object reads (core/v1 namespaces, get), so it runs the same built in, as Wasm and as a process.
// It imports abi and plugins only.
package namespacelifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name (and the --enable-admission-plugins value).
const Name = "NamespaceLifecycle"

func init() { plugins.Register(Name, func() abi.Plugin { return &Plugin{} }) }

// Namespaces is the resource the plugin reads.
var Namespaces = abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// immortal are the namespaces that may not be deleted, as kube's.
var immortal = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

// accessReviews are namespaced resources kube lets through whatever the namespace's state: they
// create nothing.
var accessReviews = map[abi.GroupVersionResource]bool{
	{Group: "authorization.k8s.io", Version: "v1", Resource: "localsubjectaccessreviews"}: true,
}

// Reads is the manifest's reads of its loadable forms (abi/SPEC.md 2.1): who does what to which
// object, never the object itself.
var Reads = []string{"/request/kind", "/request/resource", "/request/name", "/request/namespace", "/request/operation"}

// Plugin is the NamespaceLifecycle admission plugin.
type Plugin struct {
	host abi.Host
}

var _ abi.ValidatingAdmission = (*Plugin)(nil)

// Provision accepts an empty configuration (or {}) only and keeps the host for namespace reads.
func (p *Plugin) Provision(_ context.Context, config []byte, host abi.Host) error {
	if err := plugins.DecodeConfig(config, &struct{}{}); err != nil {
		return err
	}
	p.host = host
	return nil
}

// ReadsResources declares the plugin's object reads (its manifest capability).
func (p *Plugin) ReadsResources() []abi.GroupVersionResource {
	return []abi.GroupVersionResource{Namespaces}
}

// Close does nothing.
func (p *Plugin) Close() error { return nil }

// Validate applies kube's namespace lifecycle rules.
func (p *Plugin) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	req := review.Request
	if req == nil {
		return abi.AdmissionResponse{}, errors.New("review has no request")
	}
	allow := abi.AdmissionResponse{UID: req.UID, Allowed: true}
	isNamespace := req.Kind.Group == "" && req.Kind.Kind == "Namespace"
	if req.Operation == "DELETE" && isNamespace && immortal[req.Name] {
		return forbidden(req, "this namespace may not be deleted"), nil
	}
	if req.Namespace == "" || isNamespace || req.Operation != "CREATE" || accessReviews[req.Resource] {
		return allow, nil
	}
	raw, err := p.host.GetObject(ctx, Namespaces, "", req.Namespace)
	if errors.Is(err, abi.ErrNotFound) {
		return deny(req, 404, "NotFound", fmt.Sprintf("namespaces %q not found", req.Namespace)), nil
	}
	if err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("reading namespace %q: %w", req.Namespace, err)
	}
	var ns struct {
		Status struct {
			Phase string `json:"phase"`
		} `json:"status"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding namespace %q: %w", req.Namespace, err)
	}
	if ns.Status.Phase == "Terminating" {
		return forbidden(req, fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", req.Namespace)), nil
	}
	return allow, nil
}

// forbidden is kube's admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`.
func forbidden(req *abi.AdmissionRequest, why string) abi.AdmissionResponse {
	resource := req.Resource.Resource
	if req.Resource.Group != "" {
		resource += "." + req.Resource.Group
	}
	msg := fmt.Sprintf("%s is forbidden: %s", resource, why)
	if req.Name != "" {
		msg = fmt.Sprintf("%s %q is forbidden: %s", resource, req.Name, why)
	}
	return deny(req, 403, "Forbidden", msg)
}

func deny(req *abi.AdmissionRequest, code int32, reason, message string) abi.AdmissionResponse {
	return abi.AdmissionResponse{UID: req.UID, Allowed: false,
		Result: &abi.Status{Status: "Failure", Code: code, Reason: reason, Message: message}}
}
