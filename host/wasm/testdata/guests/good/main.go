// Command good is the well-behaved test guest: it implements every kind, uses every host service,
// and is what concurrent "good calls" in the robustness tests run against.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

type plugin struct {
	host   abi.Host
	prefix string
}

func (p *plugin) Provision(_ context.Context, config []byte, host abi.Host) error {
	var cfg struct {
		Prefix string `json:"prefix"`
	}
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	p.host, p.prefix = host, cfg.Prefix
	host.Log(abi.LogInfo, "provisioned")
	fmt.Fprintln(os.Stderr, "hello from stderr")
	return nil
}

func (p *plugin) Close() error { return nil }

func (p *plugin) Authenticate(_ context.Context, r *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if r.Spec.Token == "good" {
		return abi.TokenReviewStatus{Authenticated: true, User: abi.UserInfo{Username: p.prefix + "alice", Groups: []string{"dev"}}}, nil
	}
	return abi.TokenReviewStatus{}, nil
}

func (p *plugin) Authorize(_ context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	if r.Spec.User == "alice" {
		return abi.SubjectAccessReviewStatus{Allowed: true, Reason: "alice may"}, nil
	}
	return abi.SubjectAccessReviewStatus{Denied: true, Reason: "only alice"}, nil
}

func (p *plugin) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	pt := abi.PatchTypeJSONPatch
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, PatchType: &pt,
		Patch: []byte(`[{"op":"add","path":"/metadata/labels","value":{"guest":"good"}}]`)}, nil
}

func (p *plugin) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	obj := string(r.Request.Object)
	switch {
	case strings.Contains(obj, "plugin-error"):
		return abi.AdmissionResponse{}, fmt.Errorf("asked to fail")
	case strings.Contains(obj, "read-configmap"):
		cm, err := p.host.GetObject(ctx, abi.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "ns", "policy")
		if err != nil {
			return abi.AdmissionResponse{UID: r.Request.UID, Allowed: false, Result: &abi.Status{Message: "host error: " + err.Error()}}, nil
		}
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, Warnings: []string{string(cm)}}, nil
	case strings.Contains(obj, "read-secret"):
		_, err := p.host.GetObject(ctx, abi.GroupVersionResource{Version: "v1", Resource: "secrets"}, "ns", "s")
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: false, Result: &abi.Status{Message: fmt.Sprintf("host error: %v", err)}}, nil
	case strings.Contains(obj, "list-configmaps"):
		list, err := p.host.ListObjects(ctx, abi.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "ns", "team=a")
		if err != nil {
			return abi.AdmissionResponse{}, err
		}
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, Warnings: []string{string(list)}}, nil
	case strings.Contains(obj, "call-http "):
		_, url, _ := strings.Cut(obj, "call-http ")
		url, _, _ = strings.Cut(url, `"`)
		resp, err := p.host.HTTP(ctx, abi.HTTPRequest{Method: "POST", URL: url, Body: []byte("ping")})
		if err != nil {
			return abi.AdmissionResponse{UID: r.Request.UID, Allowed: false, Result: &abi.Status{Message: "host error: " + err.Error()}}, nil
		}
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, Warnings: []string{fmt.Sprintf("%d %s", resp.StatusCode, resp.Body)}}, nil
	case strings.Contains(obj, "what-time"):
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true, Warnings: []string{p.host.Now().UTC().Format(time.RFC3339)}}, nil
	case strings.Contains(obj, "deny-me"):
		return abi.AdmissionResponse{UID: r.Request.UID, Allowed: false, Result: &abi.Status{Status: "Failure", Message: "denied by good", Reason: "Forbidden", Code: 403}}, nil
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func init() { guest.Register(&plugin{}) }

func main() {}
