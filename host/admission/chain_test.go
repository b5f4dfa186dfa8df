package admission

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
)

// plugin is a scripted admission plugin: it records the reviews it sees and answers with resp
// (or err).
type plugin struct {
	resp    abi.AdmissionResponse
	err     error
	reviews []*abi.AdmissionReview
}

func (p *plugin) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	p.reviews = append(p.reviews, r)
	return p.resp, p.err
}

func (p *plugin) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return p.Admit(ctx, r)
}

func allow() abi.AdmissionResponse { return abi.AdmissionResponse{Allowed: true} }

func patching(patch string) abi.AdmissionResponse {
	pt := abi.PatchTypeJSONPatch
	return abi.AdmissionResponse{Allowed: true, Patch: []byte(patch), PatchType: &pt}
}

func configMapAttrs() *Attributes {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns"}, Data: map[string]string{"k": "v"}}
	return &Attributes{
		Kind:      corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		Resource:  corev1.SchemeGroupVersion.WithResource("configmaps"),
		Name:      "cm",
		Namespace: "ns",
		Operation: Create,
		Object:    cm,
		Options:   &metav1.CreateOptions{FieldManager: "kubectl"},
		New:       func() runtime.Object { return &corev1.ConfigMap{} },
	}
}

func TestEmptyChainReturnsTheObject(t *testing.T) {
	for _, c := range []*Chain{nil, NewChain(nil, nil)} {
		a := configMapAttrs()
		out, err := c.Mutate(context.Background(), a)
		if err != nil || out != a.Object {
			t.Errorf("Mutate: %v, %v; want the same object", out, err)
		}
		if err := c.Validate(context.Background(), a); err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
}

func TestMutatingPatchesApplyInTurn(t *testing.T) {
	first := &plugin{resp: patching(`[{"op":"add","path":"/metadata/labels","value":{"a":"1"}}]`)}
	second := &plugin{resp: patching(`[{"op":"add","path":"/metadata/labels/b","value":"2"}]`)}
	noop := &plugin{resp: allow()}
	last := &plugin{resp: allow()}
	c := NewNamedChain([]Mutating{{"first", first}, {"noop", noop}, {"second", second}, {"last", last}}, nil)
	a := configMapAttrs()
	out, err := c.Mutate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	cm := out.(*corev1.ConfigMap)
	if cm.Labels["a"] != "1" || cm.Labels["b"] != "2" || cm.Data["k"] != "v" {
		t.Errorf("mutated object %+v, want labels a=1 b=2 and data kept", cm)
	}
	if a.Object.(*corev1.ConfigMap).Labels != nil {
		t.Error("Mutate changed the object it was given")
	}
	// The no-op plugin saw the first plugin's result; the second plugin saw the same review as
	// the no-op plugin, since nothing changed in between.
	if string(noop.reviews[0].Request.Object) == string(first.reviews[0].Request.Object) {
		t.Error("the plugin after a patch saw the unpatched object")
	}
	if second.reviews[0] != noop.reviews[0] {
		t.Error("a review was rebuilt although no patch changed the object")
	}
	var seen corev1.ConfigMap
	if err := json.Unmarshal(last.reviews[0].Request.Object, &seen); err != nil || seen.Labels["b"] != "2" {
		t.Errorf("the last plugin saw %+v (%v)", seen, err)
	}
}

func TestReviewCarriesTheRequest(t *testing.T) {
	p := &plugin{resp: allow()}
	c := NewChain([]abi.MutatingAdmission{p}, nil)
	ctx := request.WithUser(context.Background(), &abi.UserInfo{Username: "alice", Groups: []string{"devs"}})
	ctx = request.WithAuditID(ctx, "req-1")
	a := configMapAttrs()
	a.Operation = Update
	a.OldObject = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns"}}
	a.DryRun = true
	if _, err := c.Mutate(ctx, a); err != nil {
		t.Fatal(err)
	}
	r := p.reviews[0]
	if r.APIVersion != "admission.k8s.io/v1" || r.Kind != "AdmissionReview" {
		t.Errorf("review type %s %s", r.APIVersion, r.Kind)
	}
	req := r.Request
	if req.UID != "req-1" || req.Operation != "UPDATE" || req.Name != "cm" || req.Namespace != "ns" || req.UserInfo.Username != "alice" ||
		req.Kind.Kind != "ConfigMap" || req.Resource.Resource != "configmaps" || req.RequestKind == nil || req.DryRun == nil || !*req.DryRun {
		t.Errorf("request %+v", req)
	}
	var obj, old map[string]interface{}
	if err := json.Unmarshal(req.Object, &obj); err != nil || obj["kind"] != "ConfigMap" || obj["apiVersion"] != "v1" {
		t.Errorf("object %s (%v), want kind and apiVersion set", req.Object, err)
	}
	if err := json.Unmarshal(req.OldObject, &old); err != nil || old["kind"] != "ConfigMap" {
		t.Errorf("oldObject %s (%v)", req.OldObject, err)
	}
	var opts map[string]interface{}
	if err := json.Unmarshal(req.Options, &opts); err != nil || opts["kind"] != "CreateOptions" || opts["apiVersion"] != "meta.k8s.io/v1" || opts["fieldManager"] != "kubectl" {
		t.Errorf("options %s (%v)", req.Options, err)
	}
}

func TestDenialsAndFailures(t *testing.T) {
	cases := []struct {
		name    string
		resp    abi.AdmissionResponse
		err     error
		code    int32
		reason  metav1.StatusReason
		message string
	}{
		{"denied with a message", abi.AdmissionResponse{Result: &abi.Status{Message: "no thanks"}}, nil,
			http.StatusForbidden, metav1.StatusReasonForbidden, `admission webhook "p" denied the request: no thanks`},
		{"denied without explanation", abi.AdmissionResponse{}, nil,
			http.StatusForbidden, metav1.StatusReasonForbidden, `admission webhook "p" denied the request without explanation`},
		{"denied with the plugin's own code", abi.AdmissionResponse{Result: &abi.Status{Code: 404, Reason: "NotFound", Message: `namespaces "x" not found`}}, nil,
			http.StatusNotFound, metav1.StatusReasonNotFound, `namespaces "x" not found`},
		{"denied with a success code", abi.AdmissionResponse{Result: &abi.Status{Code: 200, Message: "odd"}}, nil,
			http.StatusBadRequest, "", "odd"},
		{"plugin failed", abi.AdmissionResponse{}, errors.New("boom"),
			http.StatusInternalServerError, metav1.StatusReasonInternalError, `Internal error occurred: failed calling admission plugin "p": boom`},
		{"plugin answered with a Status error", abi.AdmissionResponse{}, apierrors.NewTooManyRequestsError("slow down"),
			http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "Too many requests: slow down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &plugin{resp: tc.resp, err: tc.err}
			chains := map[string]func() error{
				"mutating": func() error {
					_, err := NewNamedChain([]Mutating{{"p", p}}, nil).Mutate(context.Background(), configMapAttrs())
					return err
				},
				"validating": func() error {
					return NewNamedChain(nil, []Validating{{"p", p}}).Validate(context.Background(), configMapAttrs())
				},
			}
			for stage, run := range chains {
				err := run()
				var se *apierrors.StatusError
				if !errors.As(err, &se) {
					t.Fatalf("%s: error %v is not a Status error", stage, err)
				}
				st := se.ErrStatus
				if st.Code != tc.code || st.Reason != tc.reason || st.Message != tc.message || st.Status != metav1.StatusFailure {
					t.Errorf("%s: %d %q %q, want %d %q %q", stage, st.Code, st.Reason, st.Message, tc.code, tc.reason, tc.message)
				}
			}
		})
	}
}

func TestValidatingPatchIsAnError(t *testing.T) {
	p := &plugin{resp: patching(`[]`)}
	err := NewChain(nil, []abi.ValidatingAdmission{p}).Validate(context.Background(), configMapAttrs())
	if !apierrors.IsInternalError(err) {
		t.Errorf("error %v, want an internal error", err)
	}
}

func TestBadPatchesFail(t *testing.T) {
	cases := map[string]string{
		"malformed":    `{"op":`,
		"missing path": `[{"op":"replace","path":"/nothere/x","value":1}]`,
	}
	for name, patch := range cases {
		t.Run(name, func(t *testing.T) {
			p := &plugin{resp: patching(patch)}
			_, err := NewChain([]abi.MutatingAdmission{p}, nil).Mutate(context.Background(), configMapAttrs())
			if !apierrors.IsInternalError(err) {
				t.Errorf("error %v, want an internal error", err)
			}
		})
	}
}

func TestWarningsAreCollected(t *testing.T) {
	m := &plugin{resp: abi.AdmissionResponse{Allowed: true, Warnings: []string{"first"}}}
	v := &plugin{resp: abi.AdmissionResponse{Allowed: true, Warnings: []string{"second", "third"}}}
	c := NewChain([]abi.MutatingAdmission{m}, []abi.ValidatingAdmission{v})
	var got []string
	a := configMapAttrs()
	a.Warn = func(msg string) { got = append(got, msg) }
	if _, err := c.Mutate(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "first" || got[2] != "third" {
		t.Errorf("warnings %v", got)
	}
}

func BenchmarkMutateTwoPlugins(b *testing.B) {
	c := NewChain([]abi.MutatingAdmission{&benchPlugin{}, &benchPlugin{}}, nil)
	a := configMapAttrs()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Mutate(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPlugin allows everything and keeps nothing, so benchmarks do not grow memory.
type benchPlugin struct{}

func (benchPlugin) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if _, err := r.Encoded(); err != nil {
		return abi.AdmissionResponse{}, err
	}
	return abi.AdmissionResponse{Allowed: true}, nil
}

// TestLabelPatchThenJSONPatch has a label patch (applied to the typed object, its JSON brought
// up to date only when needed) followed by generic patches: one that changes nothing, one that
// changes the data. Each plugin must see the labels the first one added, and the result must hold
// both changes.
func TestLabelPatchThenJSONPatch(t *testing.T) {
	label := &plugin{resp: patching(`[{"op":"add","path":"/metadata/labels","value":{"a":"1"}}]`)}
	same := &plugin{resp: patching(`[{"op":"add","path":"/data/k","value":"v"}]`)}
	data := &plugin{resp: patching(`[{"op":"add","path":"/data/x","value":"y"}]`)}
	last := &plugin{resp: allow()}
	c := NewNamedChain([]Mutating{{"label", label}, {"same", same}, {"data", data}, {"last", last}}, nil)
	out, err := c.Mutate(context.Background(), configMapAttrs())
	if err != nil {
		t.Fatal(err)
	}
	if cm := out.(*corev1.ConfigMap); cm.Labels["a"] != "1" || cm.Data["x"] != "y" || cm.Data["k"] != "v" {
		t.Errorf("mutated object %+v, want label a=1 and data k=v, x=y", cm)
	}
	for _, p := range []*plugin{same, data, last} {
		var seen corev1.ConfigMap
		if err := json.Unmarshal(p.reviews[0].Request.Object, &seen); err != nil || seen.Labels["a"] != "1" {
			t.Errorf("a plugin after the label patch saw %+v (%v)", seen, err)
		}
	}
}

// TestWriteOptionsEncoding pins the reflection-free encoding of create and update options to
// what encoding them generically gives.
func TestWriteOptionsEncoding(t *testing.T) {
	for _, opts := range []runtime.Object{
		&metav1.CreateOptions{},
		&metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"},
		&metav1.CreateOptions{DryRun: []string{"All"}, FieldManager: `m<"\>`, FieldValidation: "Strict"},
		&metav1.UpdateOptions{FieldValidation: "Warn"},
		&metav1.UpdateOptions{DryRun: []string{}, FieldManager: "ü"},
	} {
		got, err := encodeOptions(opts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encodeObject(opts, metav1.SchemeGroupVersion.WithKind(reflect.TypeOf(opts).Elem().Name()))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%#v:\n got %s\nwant %s", opts, got, want)
		}
	}
}

// unmatchedPlugin is a Selective plugin whose rules match nothing; calling it fails the test
// unless callable (a guard answers for it, as host/pluginapi's do).
type unmatchedPlugin struct {
	t        *testing.T
	callable bool
}

func (p unmatchedPlugin) Matches(r *abi.AdmissionRequest) bool {
	if r.Operation != Create || r.Resource.Resource != "configmaps" || r.Namespace != "ns" {
		p.t.Errorf("Matches was asked about %+v", r)
	}
	return false
}

func (p unmatchedPlugin) Admit(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if !p.callable {
		p.t.Error("a plugin whose rules match nothing was called")
	}
	return abi.AdmissionResponse{Allowed: true}, nil
}

func (p unmatchedPlugin) Validate(ctx context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	return p.Admit(ctx, r)
}

// TestAStageNoPluginMatchesIsSkipped: a stage none of whose plugins match is not run at all.
func TestAStageNoPluginMatchesIsSkipped(t *testing.T) {
	c := NewChain([]abi.MutatingAdmission{unmatchedPlugin{t: t}}, []abi.ValidatingAdmission{unmatchedPlugin{t: t}, unmatchedPlugin{t: t}})
	a := configMapAttrs()
	out, err := c.Mutate(context.Background(), a)
	if err != nil || out != a.Object {
		t.Errorf("Mutate: %v, %v; want the object itself", out, err)
	}
	if err := c.Validate(context.Background(), a); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// One plugin without rules in the stage: the stage runs.
	called := &plugin{resp: allow()}
	c = NewChain(nil, []abi.ValidatingAdmission{unmatchedPlugin{t: t, callable: true}, called})
	if err := c.Validate(context.Background(), configMapAttrs()); err != nil || len(called.reviews) != 1 {
		t.Errorf("Validate: %v, %d calls of the plugin without rules", err, len(called.reviews))
	}
}
