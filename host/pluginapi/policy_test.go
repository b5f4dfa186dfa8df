package pluginapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kapi-dev/kapi/abi"
)

// scripted is a plugin of every kind that answers what its fields say, so each failure the
// policy must handle can be produced on demand.
type scripted struct {
	err      error
	block    bool // wait for the deadline
	allowed  bool
	denied   bool
	patch    []byte
	patchTyp *string
	uid      string
}

func (s *scripted) Provision(context.Context, []byte, abi.Host) error { return nil }
func (s *scripted) Close() error                                      { return nil }

func (s *scripted) wait(ctx context.Context) error {
	if s.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.err
}

func (s *scripted) Authenticate(ctx context.Context, _ *abi.TokenReview) (abi.TokenReviewStatus, error) {
	return abi.TokenReviewStatus{Authenticated: s.allowed, User: abi.UserInfo{Username: "u"}}, s.wait(ctx)
}

func (s *scripted) Authorize(ctx context.Context, _ *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return abi.SubjectAccessReviewStatus{Allowed: s.allowed, Denied: s.denied}, s.wait(ctx)
}

func (s *scripted) Admit(ctx context.Context, _ *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return abi.AdmissionResponse{UID: s.uid, Allowed: s.allowed, Patch: s.patch, PatchType: s.patchTyp}, s.wait(ctx)
}

func (s *scripted) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return s.Admit(ctx, r)
}

func newGuard(t *testing.T, kind abi.Kind, policy FailurePolicy, p abi.Plugin, metrics *Metrics) abi.Plugin {
	t.Helper()
	m := &Manifest{Name: "x", Kind: kind, ABIVersion: "1.0", Entry: "x.wasm", FailurePolicy: policy,
		Limits: Limits{Timeout: Duration(20 * time.Millisecond)}}
	m.SetDefaults()
	// A Go value, so the guard holds it to the deadline (a runtime holds its own calls to it).
	g, err := WithFailurePolicy(m, ModeNative, p, metrics, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// outcome is a kind-independent summary of an answer.
type outcome struct {
	positive bool // authenticated / allowed / admitted
	denied   bool
	errText  string
}

func call(t *testing.T, kind abi.Kind, g abi.Plugin) outcome {
	t.Helper()
	ctx := context.Background()
	var o outcome
	var err error
	switch kind {
	case abi.KindAuthenticator:
		var st abi.TokenReviewStatus
		st, err = g.(abi.Authenticator).Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "t"}))
		o.positive = st.Authenticated
	case abi.KindAuthorizer:
		var st abi.SubjectAccessReviewStatus
		st, err = g.(abi.Authorizer).Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "u"}))
		o.positive, o.denied = st.Allowed, st.Denied
	case abi.KindMutatingAdmission, abi.KindValidatingAdmission:
		review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "req-1", Operation: "CREATE"})
		var resp abi.AdmissionResponse
		if kind == abi.KindMutatingAdmission {
			resp, err = g.(abi.MutatingAdmission).Admit(ctx, review)
		} else {
			resp, err = g.(abi.ValidatingAdmission).Validate(ctx, review)
		}
		if resp.UID != "req-1" {
			t.Errorf("answer uid %q, want the request's", resp.UID)
		}
		o.positive = resp.Allowed
	}
	if err != nil {
		o.errText = err.Error()
	}
	return o
}

func TestFailurePolicy(t *testing.T) {
	kinds := []abi.Kind{abi.KindAuthenticator, abi.KindAuthorizer, abi.KindMutatingAdmission, abi.KindValidatingAdmission}
	failures := []struct {
		name   string
		plugin *scripted
		reason FailureReason
	}{
		{"plugin error", &scripted{allowed: true, err: errors.New("backend down")}, ReasonError},
		{"trap", &scripted{allowed: true, err: &CallError{Plugin: "x", Reason: ReasonTrap, Err: errors.New("unreachable")}}, ReasonTrap},
		{"timeout", &scripted{allowed: true, block: true}, ReasonTimeout},
	}
	for _, kind := range kinds {
		for _, f := range failures {
			for _, policy := range []FailurePolicy{Fail, Ignore} {
				t.Run(string(kind)+"/"+f.name+"/"+string(policy), func(t *testing.T) {
					metrics, _ := NewMetrics(prometheus.NewRegistry())
					got := call(t, kind, newGuard(t, kind, policy, f.plugin, metrics))
					if policy == Ignore {
						// The neutral answer: only admission is positive (allowed).
						wantPositive := kind == abi.KindMutatingAdmission || kind == abi.KindValidatingAdmission
						if got.errText != "" || got.positive != wantPositive || got.denied {
							t.Errorf("Ignore gave %+v, want neutral (positive=%v, no error)", got, wantPositive)
						}
					} else {
						want := `plugin "x" failed: ` + string(f.reason)
						if f.reason == ReasonError {
							want = `plugin "x" failed: backend down`
						}
						if kind == abi.KindMutatingAdmission || kind == abi.KindValidatingAdmission {
							want = `failed calling plugin "x": `
						}
						if !strings.Contains(got.errText, want) || got.positive || got.denied {
							t.Errorf("Fail gave %+v, want not positive and an error containing %q", got, want)
						}
					}
					if n := counterValue(t, metrics.Errors.WithLabelValues("x", string(kind), "native", string(f.reason))); n != 1 {
						t.Errorf("errors{reason=%s} = %v, want 1", f.reason, n)
					}
					if n := counterValue(t, metrics.Calls.WithLabelValues("x", string(kind), "native")); n != 1 {
						t.Errorf("calls = %v, want 1", n)
					}
				})
			}
		}
	}
}

func TestFailurePolicyPassesDecisionsThrough(t *testing.T) {
	metrics, _ := NewMetrics(nil)
	g := newGuard(t, abi.KindAuthorizer, Fail, &scripted{denied: true}, metrics)
	if got := call(t, abi.KindAuthorizer, g); !got.denied || got.errText != "" {
		t.Errorf("deny passed through as %+v", got)
	}
	g = newGuard(t, abi.KindValidatingAdmission, Fail, &scripted{allowed: false}, metrics)
	if got := call(t, abi.KindValidatingAdmission, g); got.positive || got.errText != "" {
		t.Errorf("rejection passed through as %+v", got)
	}
	if n := counterValue(t, metrics.Rejections.WithLabelValues("x", "Authorizer", "native")); n != 1 {
		t.Errorf("authz rejections %v", n)
	}
	if n := counterValue(t, metrics.Rejections.WithLabelValues("x", "ValidatingAdmission", "native")); n != 1 {
		t.Errorf("admission rejections %v", n)
	}
}

func TestFailurePolicyMalformedAnswers(t *testing.T) {
	jp := abi.PatchTypeJSONPatch
	other := "MergePatch"
	cases := []struct {
		name   string
		kind   abi.Kind
		plugin *scripted
		want   string
	}{
		{"validating patch", abi.KindValidatingAdmission, &scripted{allowed: true, patch: []byte("[]"), patchTyp: &jp}, "validating plugin answered with a patch"},
		{"patch type", abi.KindMutatingAdmission, &scripted{allowed: true, patch: []byte("[]"), patchTyp: &other}, "needs patchType"},
		{"uid", abi.KindMutatingAdmission, &scripted{allowed: true, uid: "other"}, `does not match request uid "req-1"`},
		{"allow and deny", abi.KindAuthorizer, &scripted{allowed: true, denied: true}, "both allows and denies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			metrics, _ := NewMetrics(nil)
			got := call(t, tc.kind, newGuard(t, tc.kind, Fail, tc.plugin, metrics))
			if !strings.Contains(got.errText, "malformed: ") || !strings.Contains(got.errText, tc.want) || got.positive {
				t.Errorf("got %+v, want a malformed-answer error containing %q", got, tc.want)
			}
		})
	}
}

func TestWithFailurePolicyChecksKind(t *testing.T) {
	m := &Manifest{Name: "x", Kind: abi.KindAuthorizer}
	if _, err := WithFailurePolicy(m, ModeWasm, onlyPlugin{}, nil, nil); err == nil || !strings.Contains(err.Error(), "does not implement the Authorizer") {
		t.Fatalf("error %v", err)
	}
}

type onlyPlugin struct{}

func (onlyPlugin) Provision(context.Context, []byte, abi.Host) error { return nil }
func (onlyPlugin) Close() error                                      { return nil }

func TestNewMetricsTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("second NewMetrics: %v", err)
	}
	a.Calls.WithLabelValues("p", "k", "m").Inc()
	if n := counterValue(t, b.Calls.WithLabelValues("p", "k", "m")); n != 1 {
		t.Fatalf("the second Metrics does not share the collectors: %v", n)
	}
}

// counterValue reads one counter (client_golang's testutil would pull in a module go.mod lacks).
func counterValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
