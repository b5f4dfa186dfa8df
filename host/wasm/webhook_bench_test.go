package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/plugins/authz/alwaysallow"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// The benchmarks of this file put the same policy behind a webhook on loopback TLS, as
// kube-apiserver calls admission and authorization webhooks: the host encodes the review, POSTs it
// over a kept-alive HTTPS connection (HTTP/1.1, as client-go's webhook client negotiates with an
// httptest server), the webhook decodes it, decides, encodes the review with its answer, and the
// host decodes that. Compare with BenchmarkAdmitPod and BenchmarkAuthorize (and host/process's
// BenchmarkAuthorizeProcess):
//
//	go test -run '^$' -bench 'AdmitPod|Authorize' -benchmem ./host/wasm/ ./host/process/

// webhook serves decide behind an httptest TLS server and returns a function that makes one call
// with a client that keeps its connection alive.
func webhook[R any](b *testing.B, decide func(*R) error) func(body []byte, into *R) error {
	b.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var review R
		if err := json.NewDecoder(req.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := decide(&review); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&review)
	}))
	b.Cleanup(srv.Close)
	client := srv.Client()
	return func(body []byte, into *R) error {
		resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("webhook answered %s: %s", resp.Status, msg)
		}
		return json.NewDecoder(resp.Body).Decode(into)
	}
}

// BenchmarkAdmitPodWebhook is BenchmarkAdmitPod's call with the nolatest policy as a validating
// webhook. "webhook" has the review encoded beforehand, like BenchmarkAdmitPod's "wasm";
// "webhook+encode" adds encoding it.
func BenchmarkAdmitPodWebhook(b *testing.B) {
	raw := typicalPodReview(b)
	policy := &nolatest.Plugin{}
	if err := policy.Provision(context.Background(), []byte("{}"), nil); err != nil {
		b.Fatal(err)
	}
	call := webhook(b, func(r *abi.AdmissionReview) error {
		resp, err := policy.Validate(context.Background(), r)
		if err != nil {
			return err
		}
		r.Response, r.Request = &resp, nil
		return nil
	})
	for _, encoded := range []bool{true, false} {
		name := "webhook"
		if !encoded {
			name = "webhook+encode"
		}
		b.Run(name, func(b *testing.B) {
			reviews := make([]*abi.AdmissionReview, b.N)
			for i := range reviews {
				reviews[i] = new(abi.AdmissionReview)
				if err := json.Unmarshal(raw, reviews[i]); err != nil {
					b.Fatal(err)
				}
				if encoded {
					_, _ = reviews[i].Encoded()
				}
			}
			measureValidate(b, validatorFunc(func(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
				body, err := r.Encoded()
				if err != nil {
					return abi.AdmissionResponse{}, err
				}
				var answer abi.AdmissionReview
				if err := call(body, &answer); err != nil {
					return abi.AdmissionResponse{}, err
				}
				if answer.Response == nil {
					return abi.AdmissionResponse{}, fmt.Errorf("webhook answered no response")
				}
				return *answer.Response, nil
			}), reviews)
		})
	}
}

// validatorFunc makes a function an abi.ValidatingAdmission.
type validatorFunc func(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error)

func (f validatorFunc) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return f(ctx, r)
}

// authzReview is the review the authorization benchmarks decide: a user creating a configmap.
func authzReview() *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice", Groups: []string{"system:authenticated"},
		ResourceAttributes: &abi.ResourceAttributes{Namespace: "team-a", Verb: "create", Version: "v1", Resource: "configmaps"}})
}

// BenchmarkAuthorize is one authorization with the AlwaysAllow built-in natively and as a Wasm
// guest (plugins/loadable/alwaysallow); host/process's BenchmarkAuthorizeProcess is the same call
// to a process plugin.
func BenchmarkAuthorize(b *testing.B) {
	b.Run("native", func(b *testing.B) {
		a := &alwaysallow.Authorizer{}
		if err := a.Provision(context.Background(), nil, nil); err != nil {
			b.Fatal(err)
		}
		measureAuthorize(b, a)
	})
	// "wasm" sends the whole review; "wasm+reads" has the manifest declare alwaysallow.Reads
	// (nothing), as make plugins' manifest does.
	for name, reads := range map[string]string{"wasm": "", "wasm+reads": ", reads: []"} {
		b.Run(name, func(b *testing.B) {
			module := pluginkit.BuildGoGuest(b, "../../plugins/loadable/alwaysallow")
			r := newRuntime(b, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
			p := load(b, r, manifest(b, "{name: alwaysallow, kind: Authorizer, abiVersion: '1.1', entry: a.wasm, limits: {instances: 1}"+reads+"}"), module, nil)
			measureAuthorize(b, p)
		})
	}
}

// BenchmarkAuthorizeWebhook is BenchmarkAuthorize's call with AlwaysAllow's logic as an
// authorization webhook: the host encodes the SubjectAccessReview each call, as kube-apiserver's
// webhook authorizer does.
func BenchmarkAuthorizeWebhook(b *testing.B) {
	call := webhook(b, func(r *abi.SubjectAccessReview) error {
		r.Status = abi.SubjectAccessReviewStatus{Allowed: true}
		return nil
	})
	measureAuthorize(b, authorizerFunc(func(_ context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
		body, err := json.Marshal(r)
		if err != nil {
			return abi.SubjectAccessReviewStatus{}, err
		}
		var answer abi.SubjectAccessReview
		if err := call(body, &answer); err != nil {
			return abi.SubjectAccessReviewStatus{}, err
		}
		return answer.Status, nil
	}))
}

// authorizerFunc makes a function an abi.Authorizer.
type authorizerFunc func(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error)

func (f authorizerFunc) Authorize(ctx context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return f(ctx, r)
}

// measureAuthorize makes b.N authorizations, each of which must be allowed.
func measureAuthorize(b *testing.B, a abi.Authorizer) {
	r := authzReview()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		st, err := a.Authorize(ctx, r)
		if err != nil || !st.Allowed {
			b.Fatalf("%+v, %v", st, err)
		}
	}
}
