package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
)

// FailureReason classifies a failed call, for errors and the kapi_plugin_errors_total metric.
type FailureReason string

// Failure reasons.
const (
	// ReasonError is the plugin's own error (an error envelope or a Go error).
	ReasonError FailureReason = "error"
	// ReasonTrap is a Wasm trap, a guest panic or a crashed process.
	ReasonTrap FailureReason = "trap"
	// ReasonTimeout is a call that outlived its deadline.
	ReasonTimeout FailureReason = "timeout"
	// ReasonMalformed is an answer that breaks the ABI (bad pointer, bad JSON, wrong uid ...).
	ReasonMalformed FailureReason = "malformed"
)

// CallError is how a runtime reports a failed call: which plugin, why, and the cause.
type CallError struct {
	Plugin string
	Reason FailureReason
	Err    error
}

func (e *CallError) Error() string { return fmt.Sprintf("plugin %q: %s", e.Plugin, e.cause()) }

func (e *CallError) cause() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// ReasonOf classifies any call error: a *CallError's reason, a context deadline as timeout, and
// anything else as the plugin's own error.
func ReasonOf(err error) FailureReason {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonError
}

// FailedCallError is the error a plugin with failure policy Fail answers with. Its message follows
// kube-apiserver's for webhooks: admission says `failed calling plugin "x": ...`, so the chain can
// answer 500 InternalError as kube does for a failing webhook; the other kinds say
// `plugin "x" failed: ...`.
type FailedCallError struct {
	Plugin string
	Kind   abi.Kind
	Reason FailureReason
	Err    error
}

func (e *FailedCallError) Error() string {
	cause := e.Err.Error()
	var ce *CallError
	switch {
	case errors.As(e.Err, &ce) && ce.Plugin == e.Plugin:
		cause = ce.cause()
	case e.Reason != ReasonError:
		cause = string(e.Reason) + ": " + cause
	}
	if e.Kind == abi.KindMutatingAdmission || e.Kind == abi.KindValidatingAdmission {
		return fmt.Sprintf("failed calling plugin %q: %s", e.Plugin, cause)
	}
	return fmt.Sprintf("plugin %q failed: %s", e.Plugin, cause)
}

// Unwrap returns the cause.
func (e *FailedCallError) Unwrap() error { return e.Err }

// WithFailurePolicy wraps a plugin (of any mode) so that every call runs under the manifest's
// deadline, is checked against the ABI's answer rules, is counted in metrics, and, when it fails,
// ends by the manifest's failure policy:
//
//	kind           Fail                                Ignore
//	Authenticator  not authenticated + FailedCallError  not authenticated
//	Authorizer     no opinion + FailedCallError          no opinion
//	admission      not allowed + FailedCallError         allowed, no patch
//
// The value returned implements abi.Plugin and the interface of the manifest's kind. metrics and
// logger may be nil.
func WithFailurePolicy(m *Manifest, mode Mode, p abi.Plugin, metrics *Metrics, logger *slog.Logger) (abi.Plugin, error) {
	if logger == nil {
		logger = slog.Default()
	}
	g := &guard{manifest: m, mode: mode, plugin: p, metrics: metrics, logger: logger.With("plugin", m.Name)}
	if metrics != nil {
		// Resolved once: looking a series up by its labels cost each call more than counting.
		labels := []string{m.Name, string(m.Kind), string(mode)}
		g.calls = metrics.Calls.WithLabelValues(labels...)
		g.rejections = metrics.Rejections.WithLabelValues(labels...)
		g.duration = metrics.Duration.WithLabelValues(labels...)
	}
	var ok bool
	switch m.Kind {
	case abi.KindAuthenticator:
		g.authn, ok = p.(abi.Authenticator)
		return &authnGuard{g}, implements(ok, m)
	case abi.KindAuthorizer:
		g.authz, ok = p.(abi.Authorizer)
		return &authzGuard{g}, implements(ok, m)
	case abi.KindMutatingAdmission:
		g.mutating, ok = p.(abi.MutatingAdmission)
		return &mutatingGuard{g}, implements(ok, m)
	case abi.KindValidatingAdmission:
		g.validating, ok = p.(abi.ValidatingAdmission)
		return &validatingGuard{g}, implements(ok, m)
	}
	return nil, fmt.Errorf("plugin %q: unknown kind %q", m.Name, m.Kind)
}

func implements(ok bool, m *Manifest) error {
	if !ok {
		return fmt.Errorf("plugin %q: does not implement the %s interface its manifest names", m.Name, m.Kind)
	}
	return nil
}

type guard struct {
	manifest *Manifest
	mode     Mode
	plugin   abi.Plugin
	metrics  *Metrics
	logger   *slog.Logger
	// The plugin's series of metrics' calls, rejections and duration; nil without metrics.
	calls, rejections prometheus.Counter
	duration          prometheus.Observer
	authn             abi.Authenticator
	authz             abi.Authorizer
	mutating          abi.MutatingAdmission
	validating        abi.ValidatingAdmission
}

func (g *guard) Provision(ctx context.Context, config []byte, host abi.Host) error {
	if err := g.plugin.Provision(ctx, config, host); err != nil {
		return fmt.Errorf("provisioning plugin %q: %w", g.manifest.Name, err)
	}
	return nil
}

func (g *guard) Close() error { return g.plugin.Close() }

// begin starts a call: the deadline and the timer. The Wasm and process runtimes hold each call
// to limits.timeout themselves (a per-instance timer, a gRPC deadline), so only a built-in's call
// gets its deadline here: a context timer per call cost a Wasm call more than its host side.
func (g *guard) begin(ctx context.Context) (context.Context, context.CancelFunc, time.Time) {
	if g.mode != ModeNative {
		return ctx, noCancel, time.Now()
	}
	ctx, cancel := context.WithTimeout(ctx, g.manifest.Timeout())
	return ctx, cancel, time.Now()
}

func noCancel() {}

// end records a call and, for a failed one, returns the policy's error (nil for Ignore).
func (g *guard) end(start time.Time, err error, rejected bool) error {
	if g.metrics != nil {
		g.calls.Inc()
		g.duration.Observe(time.Since(start).Seconds())
		if rejected && err == nil {
			g.rejections.Inc()
		}
	}
	if err == nil {
		return nil
	}
	reason := ReasonOf(err)
	if g.metrics != nil {
		g.metrics.Errors.WithLabelValues(g.manifest.Name, string(g.manifest.Kind), string(g.mode), string(reason)).Inc()
	}
	failed := &FailedCallError{Plugin: g.manifest.Name, Kind: g.manifest.Kind, Reason: reason, Err: err}
	if g.manifest.FailurePolicy == Ignore {
		g.logger.Warn("plugin call failed; failure policy Ignore gives the neutral answer", "error", failed.Error())
		return nil
	}
	return failed
}

type authnGuard struct{ *guard }

func (g *authnGuard) Authenticate(ctx context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	ctx, cancel, start := g.begin(ctx)
	defer cancel()
	st, err := g.authn.Authenticate(ctx, review)
	if err != nil {
		st = abi.TokenReviewStatus{}
	}
	if err := g.end(start, err, st.Error != ""); err != nil {
		return abi.TokenReviewStatus{}, err
	}
	return st, nil
}

type authzGuard struct{ *guard }

func (g *authzGuard) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	ctx, cancel, start := g.begin(ctx)
	defer cancel()
	st, err := g.authz.Authorize(ctx, review)
	if err == nil && st.Allowed && st.Denied {
		err = &CallError{Plugin: g.manifest.Name, Reason: ReasonMalformed, Err: errors.New("answer both allows and denies")}
	}
	if err != nil {
		st = abi.SubjectAccessReviewStatus{}
	}
	// An erroring authorizer has no opinion under either policy; Fail adds the error, which the
	// union reports and kube's union also carries on past.
	return st, g.end(start, err, st.Denied)
}

type mutatingGuard struct{ *guard }

func (g *mutatingGuard) Admit(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if !g.manifest.Matches(review.Request) {
		return unmatched(review), nil
	}
	ctx, cancel, start := g.begin(ctx)
	defer cancel()
	resp, err := g.mutating.Admit(ctx, review)
	if err == nil {
		err = checkAdmission(g.manifest.Name, review, &resp, true)
	}
	return g.admissionEnd(review, start, resp, err)
}

type validatingGuard struct{ *guard }

func (g *validatingGuard) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if !g.manifest.Matches(review.Request) {
		return unmatched(review), nil
	}
	ctx, cancel, start := g.begin(ctx)
	defer cancel()
	resp, err := g.validating.Validate(ctx, review)
	if err == nil {
		err = checkAdmission(g.manifest.Name, review, &resp, false)
	}
	return g.admissionEnd(review, start, resp, err)
}

// Matches reports whether the plugin's manifest rules match the request (admission.Selective).
func (g *guard) Matches(r *abi.AdmissionRequest) bool { return g.manifest.Matches(r) }

// unmatched is the answer for a request the plugin's rules do not match: it is not called (nor
// counted), as kube-apiserver does not call a webhook whose rules do not match.
func unmatched(review *abi.AdmissionReview) abi.AdmissionResponse {
	return abi.AdmissionResponse{UID: review.Request.UID, Allowed: true}
}

func (g *guard) admissionEnd(review *abi.AdmissionReview, start time.Time, resp abi.AdmissionResponse, err error) (abi.AdmissionResponse, error) {
	uid := ""
	if review.Request != nil {
		uid = review.Request.UID
	}
	if err != nil {
		if perr := g.end(start, err, false); perr != nil {
			return abi.AdmissionResponse{UID: uid, Allowed: false}, perr
		}
		return abi.AdmissionResponse{UID: uid, Allowed: true}, nil
	}
	return resp, g.end(start, nil, !resp.Allowed)
}

// checkAdmission applies the answer rules of abi/SPEC.md section 2: the uid is filled in or must
// match, a patch comes with patchType JSONPatch, and a validating plugin never patches.
func checkAdmission(name string, review *abi.AdmissionReview, resp *abi.AdmissionResponse, mutating bool) error {
	malformed := func(format string, args ...any) error {
		return &CallError{Plugin: name, Reason: ReasonMalformed, Err: fmt.Errorf(format, args...)}
	}
	if review.Request != nil {
		switch resp.UID {
		case "":
			resp.UID = review.Request.UID
		case review.Request.UID:
		default:
			return malformed("answer uid %q does not match request uid %q", resp.UID, review.Request.UID)
		}
	}
	if len(resp.Patch) > 0 {
		if !mutating {
			return malformed("a validating plugin answered with a patch")
		}
		if resp.PatchType == nil || *resp.PatchType != abi.PatchTypeJSONPatch {
			return malformed("a patch needs patchType %q", abi.PatchTypeJSONPatch)
		}
	}
	return nil
}
