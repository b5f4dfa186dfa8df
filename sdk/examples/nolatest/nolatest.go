// Package nolatest is an example validating admission plugin: it rejects pods (and pod templates
// are left to a fuller policy) whose container images have no tag or use the :latest tag, since
// such pods do not say which code they run. It imports abi, sdk/guest (for its raw-JSON reader)
// and the standard library, so it builds natively and as a Wasm guest (see wasm/).
//
// It implements abi.ValidatingAdmission (the decoded review, used natively and by the process
// plugin), guest.RawValidator (the review's bytes, read in one pass with a guest.Query and
// without an allocation for an allowed pod; the Wasm guest uses it when it is sent JSON, because
// decoding a whole review with encoding/json costs a Wasm guest far more than the policy does)
// and guest.FieldsValidator (the values of its reads, as the Wasm guest is sent them when its
// manifest says input: fields, so it scans no JSON). All three end in the same decide function,
// and the example's tests run one case table natively, as Wasm (sent each form) and as a process.
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

// request is what the policy reads of an admission request. ValidateRaw leaves uid empty.
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

// The paths ValidateRaw reads, in one pass over the review (see guest.Query). It does not read
// request.uid: the host fills in an empty response.uid (abi/SPEC.md section 2).
const (
	pathGroup = iota
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
	pathCount
)

var reviewQuery = guest.NewQuery([][]string{
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
// one pass over the review. An allowed pod costs it no allocation: the strings are views of the
// review's bytes (guest.View), used only during the call, and each image is checked as its
// container ends, so only the floating ones are kept, in a small array (a denial may allocate:
// it builds a message). The function given to Scan only notes where each value is, and checks a
// container when it ends: in a Wasm guest a small function is a fast one.
func (p *Plugin) ValidateRaw(_ context.Context, review []byte) (abi.AdmissionResponse, error) {
	var raw [pathCount][]byte // the last value found at each path
	var floatingBuf [4]floatingContainer
	floating := floatingBuf[:0]
	arrays := true
	reviewQuery.Scan(review, func(path int, value []byte) {
		raw[path] = value
		switch path {
		case pathInitContainer, pathContainer:
			name, image := pathName, pathImage
			if path == pathInitContainer {
				name, image = pathInitName, pathInitImage
			}
			if img := view(raw[image]); Floating(img) {
				floating = append(floating, floatingContainer{container{view(raw[name]), img}, path == pathInitContainer})
			}
			raw[name], raw[image] = nil, nil
		case pathInitContainers, pathContainers:
			arrays = arrays && (value[0] == '[' || string(value) == "null")
		}
	})
	if len(raw[pathRequest]) == 0 || raw[pathRequest][0] != '{' {
		return abi.AdmissionResponse{}, fmt.Errorf("review has no request")
	}
	rq := request{
		group: view(raw[pathGroup]), resource: view(raw[pathResource]), subResource: view(raw[pathSubResource]),
		operation: view(raw[pathOperation]), namespace: view(raw[pathNamespace]),
	}
	var malformed error
	if !arrays {
		malformed = errNotArray
	}
	return p.judge(rq, floating, malformed)
}

var errNotArray = fmt.Errorf("decoding pod: containers are not an array")

// judge is the end of ValidateRaw and ValidateFields: the request rq, its containers with a
// floating image, and what was wrong with its containers (an error once the policy applies).
func (p *Plugin) judge(rq request, floating []floatingContainer, malformed error) (abi.AdmissionResponse, error) {
	if !p.applies(rq) {
		return abi.AdmissionResponse{Allowed: true}, nil
	}
	if malformed != nil {
		return abi.AdmissionResponse{}, malformed
	}
	if len(floating) == 0 {
		return abi.AdmissionResponse{Allowed: true}, nil
	}
	// Validate's order: init containers first, whatever the order of the review's members.
	bad := make([]container, 0, len(floating))
	for _, init := range []bool{true, false} {
		for _, f := range floating {
			if f.init == init {
				bad = append(bad, f.container)
			}
		}
	}
	return decide("", bad), nil
}

// view is the string a raw JSON string holds (guest.View: valid during the call only), or "" for
// anything else, as decoding into a string field would leave it.
func view(raw []byte) string {
	s, _ := guest.View(raw)
	return s
}

// floatingContainer is a container with a floating image, as ValidateRaw finds one.
type floatingContainer struct {
	container
	init bool
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
