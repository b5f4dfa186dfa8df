// Package nolatest is an example validating admission plugin: it rejects pods (and pod templates
// are left to a fuller policy) whose container images have no tag or use the :latest tag, since
// such pods do not say which code they run. It imports abi, sdk/guest (for its raw-JSON reader)
// and the standard library, so it builds natively and as a Wasm guest (see wasm/).
//
// It implements both abi.ValidatingAdmission (the decoded review, used natively) and
// guest.RawValidator (the review's bytes, read in one pass with a guest.Query; the Wasm guest uses it because
// decoding a whole review with encoding/json costs a Wasm guest far more than the policy does).
// Both paths end in the same decide function, and the example's tests run one case table against
// both modes.
package nolatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

// Config is the plugin's configuration, decoded strictly.
type Config struct {
	// ExemptNamespaces are namespaces whose pods are not checked.
	ExemptNamespaces []string `json:"exemptNamespaces,omitempty"`
}

// Plugin is the policy. The zero value checks every namespace.
type Plugin struct {
	config Config
}

// Provision decodes the configuration.
func (p *Plugin) Provision(_ context.Context, config []byte, _ abi.Host) error {
	p.config = Config{}
	if len(config) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.config); err != nil {
		return fmt.Errorf("nolatest config: %w", err)
	}
	return nil
}

// Close does nothing.
func (p *Plugin) Close() error { return nil }

// pod is the part of a Pod this policy reads.
type pod struct {
	Spec struct {
		InitContainers []container `json:"initContainers"`
		Containers     []container `json:"containers"`
	} `json:"spec"`
}

type container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// request is what the policy reads of an admission request.
type request struct {
	uid, group, resource, subResource, operation, namespace string
}

// Validate rejects a pod with an untagged or :latest image.
func (p *Plugin) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	req := r.Request
	if req == nil {
		return abi.AdmissionResponse{}, fmt.Errorf("review has no request")
	}
	rq := request{req.UID, req.Resource.Group, req.Resource.Resource, req.SubResource, req.Operation, req.Namespace}
	if !p.applies(rq) {
		return abi.AdmissionResponse{UID: req.UID, Allowed: true}, nil
	}
	var obj pod
	if err := json.Unmarshal(req.Object, &obj); err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding pod: %w", err)
	}
	return decide(rq.uid, slices.Concat(obj.Spec.InitContainers, obj.Spec.Containers)), nil
}

// The paths ValidateRaw reads, in one pass over the review (see guest.Query).
const (
	pathUID = iota
	pathGroup
	pathResource
	pathSubResource
	pathOperation
	pathNamespace
	pathInitName
	pathInitImage
	pathInitContainer
	pathInitContainers
	pathName
	pathImage
	pathContainer
	pathContainers
	pathRequest
)

var reviewQuery = guest.NewQuery([][]string{
	pathUID:            {"request", "uid"},
	pathGroup:          {"request", "resource", "group"},
	pathResource:       {"request", "resource", "resource"},
	pathSubResource:    {"request", "subResource"},
	pathOperation:      {"request", "operation"},
	pathNamespace:      {"request", "namespace"},
	pathInitName:       {"request", "object", "spec", "initContainers", "*", "name"},
	pathInitImage:      {"request", "object", "spec", "initContainers", "*", "image"},
	pathInitContainer:  {"request", "object", "spec", "initContainers", "*"},
	pathInitContainers: {"request", "object", "spec", "initContainers"},
	pathName:           {"request", "object", "spec", "containers", "*", "name"},
	pathImage:          {"request", "object", "spec", "containers", "*", "image"},
	pathContainer:      {"request", "object", "spec", "containers", "*"},
	pathContainers:     {"request", "object", "spec", "containers"},
	pathRequest:        {"request"},
}...)

// ValidateRaw is Validate over the review's JSON, reading only the fields the policy needs, in
// one pass over the review.
func (p *Plugin) ValidateRaw(_ context.Context, review []byte) (abi.AdmissionResponse, error) {
	var rq request
	var lists [2][]container // initContainers, containers: Validate's order
	var cur container
	hasRequest, arrays := false, true
	str := func(raw []byte) string { s, _ := guest.Unquote(raw); return s }
	reviewQuery.Scan(review, func(path int, value []byte) {
		switch path {
		case pathUID:
			rq.uid = str(value)
		case pathGroup:
			rq.group = str(value)
		case pathResource:
			rq.resource = str(value)
		case pathSubResource:
			rq.subResource = str(value)
		case pathOperation:
			rq.operation = str(value)
		case pathNamespace:
			rq.namespace = str(value)
		case pathInitName, pathName:
			cur.Name = str(value)
		case pathInitImage, pathImage:
			cur.Image = str(value)
		case pathInitContainer:
			lists[0] = append(lists[0], cur)
			cur = container{}
		case pathContainer:
			lists[1] = append(lists[1], cur)
			cur = container{}
		case pathInitContainers, pathContainers:
			arrays = arrays && (value[0] == '[' || string(value) == "null")
		case pathRequest:
			hasRequest = value[0] == '{'
		}
	})
	if !hasRequest {
		return abi.AdmissionResponse{}, fmt.Errorf("review has no request")
	}
	if !p.applies(rq) {
		return abi.AdmissionResponse{UID: rq.uid, Allowed: true}, nil
	}
	if !arrays {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding pod: containers are not an array")
	}
	return decide(rq.uid, slices.Concat(lists[0], lists[1])), nil
}

// applies says whether the policy looks at a request: pod creates and updates outside the exempt
// namespaces.
func (p *Plugin) applies(r request) bool {
	return r.group == "" && r.resource == "pods" && r.subResource == "" &&
		(r.operation == "CREATE" || r.operation == "UPDATE") && !slices.Contains(p.config.ExemptNamespaces, r.namespace)
}

func decide(uid string, containers []container) abi.AdmissionResponse {
	var bad []string
	for _, c := range containers {
		if Floating(c.Image) {
			bad = append(bad, fmt.Sprintf("container %q image %q", c.Name, c.Image))
		}
	}
	if len(bad) == 0 {
		return abi.AdmissionResponse{UID: uid, Allowed: true}
	}
	return abi.AdmissionResponse{UID: uid, Allowed: false, Result: &abi.Status{
		Status:  "Failure",
		Reason:  "Forbidden",
		Code:    403,
		Message: "images must be pinned to a tag other than latest or to a digest: " + strings.Join(bad, ", "),
	}}
}

// Floating reports whether an image reference has no tag and no digest, or uses :latest.
func Floating(image string) bool {
	if strings.Contains(image, "@") {
		return false // pinned by digest
	}
	name := image
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:] // a registry host:port is not a tag
	}
	_, tag, ok := strings.Cut(name, ":")
	return !ok || tag == "" || tag == "latest"
}
