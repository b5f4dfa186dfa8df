// Package defaultlabel is an example mutating admission plugin: it gives every created or
// updated object a default label (team=unassigned unless configured) when the object lacks it,
// with a JSON patch. It imports abi, sdk/guest (for its raw-JSON reader) and the standard
// library, so it builds natively and as a Wasm guest (see wasm/).
//
// It implements abi.MutatingAdmission (the decoded review, used natively), guest.RawMutator (the
// review's bytes, read with guest.Seek and guest.Members: a Go Wasm guest decoding a whole review
// with encoding/json pays more for the decoding than for the policy) and guest.FieldsMutator
// (the values of its reads and the markers of the object and its metadata, as the Wasm guest is
// sent them when its manifest says input: fields). All three find the object's label state and
// end in the same answer function, whose three possible patches are encoded once, at
// provisioning; the example's tests run one case table in every mode.
package defaultlabel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

// Reads are the parts of a review the policy reads, for its manifest's reads (abi/SPEC.md
// section 2.1): as a Wasm guest or a process it is sent only these, a few dozen bytes where a
// Pod's review is 4 KB. An object without metadata still arrives as an object, and metadata
// without labels as {}, so the policy tells the three cases it patches apart as before.
var Reads = []string{"/request/operation", "/request/subResource", "/request/object/metadata/labels"}

// Config is the plugin's configuration, decoded strictly.
type Config struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Plugin is the policy.
type Plugin struct {
	config Config
	// patches are the JSON patches for an object without metadata, without labels, and with
	// labels that lack the key.
	patches [withKey][]byte
}

// labels is what the policy needs to know of an object's labels.
type labels int

const (
	noMetadata labels = iota
	noLabels
	withoutKey
	withKey
)

// Provision decodes the configuration, applies its defaults and encodes the patches.
func (p *Plugin) Provision(_ context.Context, config []byte, _ abi.Host) error {
	p.config = Config{}
	if len(config) > 0 {
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p.config); err != nil {
			return fmt.Errorf("defaultlabel config: %w", err)
		}
	}
	if p.config.Key == "" {
		p.config.Key = "team"
	}
	if p.config.Value == "" {
		p.config.Value = "unassigned"
	}
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	label := map[string]string{p.config.Key: p.config.Value}
	ops := [withKey]op{
		noMetadata: {"add", "/metadata", map[string]any{"labels": label}},
		noLabels:   {"add", "/metadata/labels", label},
		withoutKey: {"add", "/metadata/labels/" + escapePointer(p.config.Key), p.config.Value},
	}
	for state, o := range ops {
		b, err := json.Marshal([]op{o})
		if err != nil {
			return fmt.Errorf("defaultlabel: encoding its patch: %w", err)
		}
		p.patches[state] = b
	}
	return nil
}

// Close does nothing.
func (p *Plugin) Close() error { return nil }

// Admit adds the label when it is missing.
func (p *Plugin) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	req := r.Request
	if req == nil {
		return abi.AdmissionResponse{}, errors.New("review has no request")
	}
	if !applies(req.Operation, req.SubResource, len(req.Object) > 0) {
		return abi.AdmissionResponse{UID: req.UID, Allowed: true}, nil
	}
	var obj struct {
		Metadata *struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(req.Object, &obj); err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding object: %w", err)
	}
	state := noMetadata
	if obj.Metadata != nil {
		state = noLabels
		if obj.Metadata.Labels != nil {
			state = withoutKey
			if _, ok := obj.Metadata.Labels[p.config.Key]; ok {
				state = withKey
			}
		}
	}
	return p.answer(req.UID, state), nil
}

// AdmitRaw is Admit over the review's JSON: one pass over the request's members, then over the
// object's members up to its metadata, and over the metadata and its labels.
func (p *Plugin) AdmitRaw(_ context.Context, review []byte) (abi.AdmissionResponse, error) {
	req, ok := guest.Seek(review, "request")
	if !ok || !bytes.HasPrefix(req, []byte("{")) {
		return abi.AdmissionResponse{}, errors.New("review has no request")
	}
	var uid, operation, subResource string
	var object []byte
	str := func(raw []byte) string { s, _ := guest.Unquote(raw); return s }
	guest.Members(req, func(name, value []byte) bool {
		switch {
		case guest.MemberIs(name, "uid"):
			uid = str(value)
		case guest.MemberIs(name, "operation"):
			operation = str(value)
		case guest.MemberIs(name, "subResource"):
			subResource = str(value)
		case guest.MemberIs(name, "object"):
			object = value
		}
		return true
	})
	if !applies(operation, subResource, len(object) > 0) {
		return abi.AdmissionResponse{UID: uid, Allowed: true}, nil
	}
	state, err := p.rawLabels(object)
	if err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding object: %w", err)
	}
	return p.answer(uid, state), nil
}

// rawLabels reads the label state of an object's JSON as Admit's decoding sees it: null
// metadata or labels count as absent.
func (p *Plugin) rawLabels(object []byte) (labels, error) {
	if string(object) == "null" {
		return noMetadata, nil
	}
	state := noMetadata
	var err error
	isObject := guest.Members(object, func(name, value []byte) bool {
		if !guest.MemberIs(name, "metadata") {
			return true
		}
		state, err = p.metadataLabels(value)
		return false
	})
	if !isObject {
		return 0, errors.New("not a JSON object")
	}
	return state, err
}

func (p *Plugin) metadataLabels(metadata []byte) (labels, error) {
	if string(metadata) == "null" {
		return noMetadata, nil
	}
	state := noLabels
	var err error
	isObject := guest.Members(metadata, func(name, value []byte) bool {
		if !guest.MemberIs(name, "labels") || string(value) == "null" {
			return true
		}
		state, err = p.labelState(value)
		return false
	})
	if !isObject {
		return 0, errors.New("metadata is not a JSON object")
	}
	return state, err
}

// labelState reads the state of labels, an object's labels that are not null.
func (p *Plugin) labelState(labels []byte) (labels, error) {
	state := withoutKey
	if !guest.Members(labels, func(key, _ []byte) bool {
		if guest.MemberIs(key, p.config.Key) {
			state = withKey
			return false
		}
		return true
	}) {
		return 0, errors.New("metadata.labels is not a JSON object")
	}
	return state, nil
}

// applies says whether the policy looks at a request: creates and updates of an object's main
// resource (object says the request has one).
func applies(operation, subResource string, object bool) bool {
	return (operation == "CREATE" || operation == "UPDATE") && subResource == "" && object
}

// answer allows the request, with the patch that adds the label unless it is there.
func (p *Plugin) answer(uid string, state labels) abi.AdmissionResponse {
	allow := abi.AdmissionResponse{UID: uid, Allowed: true}
	if state == withKey {
		return allow
	}
	pt := abi.PatchTypeJSONPatch
	allow.Patch, allow.PatchType = p.patches[state], &pt
	return allow
}

// escapePointer escapes a JSON pointer reference token (RFC 6901): "~" and "/".
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
