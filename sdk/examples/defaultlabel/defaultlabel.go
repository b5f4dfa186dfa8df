// Package defaultlabel is an example mutating admission plugin: it gives every created or
// updated object a default label (team=unassigned unless configured) when the object lacks it,
// with a JSON patch. It decodes the review with encoding/json (the plain way to write a guest; see
// nolatest for the raw-JSON way) and imports abi and the standard library only.
package defaultlabel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kapi-dev/kapi/abi"
)

// Config is the plugin's configuration, decoded strictly.
type Config struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Plugin is the policy.
type Plugin struct {
	config Config
}

// Provision decodes the configuration and applies its defaults.
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
	allow := abi.AdmissionResponse{UID: req.UID, Allowed: true}
	if (req.Operation != "CREATE" && req.Operation != "UPDATE") || req.SubResource != "" || len(req.Object) == 0 {
		return allow, nil
	}
	var obj struct {
		Metadata *struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(req.Object, &obj); err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding object: %w", err)
	}
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	var patch []op
	switch {
	case obj.Metadata == nil:
		patch = []op{{"add", "/metadata", map[string]any{"labels": map[string]string{p.config.Key: p.config.Value}}}}
	case obj.Metadata.Labels == nil:
		patch = []op{{"add", "/metadata/labels", map[string]string{p.config.Key: p.config.Value}}}
	default:
		if _, ok := obj.Metadata.Labels[p.config.Key]; ok {
			return allow, nil
		}
		patch = []op{{"add", "/metadata/labels/" + escapePointer(p.config.Key), p.config.Value}}
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return abi.AdmissionResponse{}, err
	}
	pt := abi.PatchTypeJSONPatch
	allow.Patch, allow.PatchType = b, &pt
	return allow, nil
}

// escapePointer escapes a JSON pointer reference token (RFC 6901): "~" and "/".
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
