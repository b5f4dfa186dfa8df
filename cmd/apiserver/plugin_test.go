package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// examplesDir builds the examples once per test binary with the program `make examples` runs.
var examples struct {
	once sync.Once
	dir  string
	err  error
}

func examplesDir(t *testing.T) string {
	t.Helper()
	examples.once.Do(func() {
		examples.dir, examples.err = os.MkdirTemp("", "kapi-examples-")
		if examples.err != nil {
			return
		}
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "./sdk/examples/build", "-examples", examples.dir)
		cmd.Dir = filepath.Join("..", "..")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			examples.err = fmt.Errorf("%v\n%s", err, out.String())
		}
	})
	if examples.err != nil {
		t.Fatalf("building the examples: %v", examples.err)
	}
	return examples.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if examples.dir != "" {
		os.RemoveAll(examples.dir)
	}
	os.Exit(code)
}

func runCLI(args ...string) (int, string) {
	var out bytes.Buffer
	code := dispatch(context.Background(), args, &out, &out)
	return code, out.String()
}

func TestPluginInspect(t *testing.T) {
	dir := examplesDir(t)
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "manifest.yaml"), []byte("name: broken\nkind: Admission\nabiVersion: \"1.0\"\nentry: x.wasm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The no-latest example's module, with rules.
	rules := filepath.Join(t.TempDir(), "pods-only")
	module, err := os.ReadFile(filepath.Join(dir, "no-latest", "plugin.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rules, "plugin.wasm"), module, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rules, "manifest.yaml"), []byte("name: pods-only\nkind: ValidatingAdmission\nabiVersion: \"1.2\"\n"+
		"entry: plugin.wasm\nrules: [{operations: [CREATE, UPDATE], apiGroups: [''], apiVersions: [v1], resources: [pods]}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.wasm")
	if err := os.WriteFile(garbage, []byte("\x00asm\x01\x00\x00\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file string
		code       int
		want       []string
	}{
		{"go module", filepath.Join(dir, "no-latest", "plugin.wasm"), 0,
			[]string{"abiVersion:  1.2 (declared by kapi_abi_version)", "kapi_validate(i32, i32) -> i64", "kapi_alloc(i32) -> i32", "wasi_snapshot_preview1.", "ValidatingAdmission", "ok"}},
		{"wat module", filepath.Join(dir, "denymarker", "plugin.wasm"), 0,
			[]string{"abiVersion:  1.0", "kinds:       ValidatingAdmission\n", "kapi.log("}},
		{"wasm folder", filepath.Join(dir, "default-label"), 0,
			[]string{"name:        default-label", "kind:        MutatingAdmission", "mode:        wasm", "sent:        the values of /request/operation /request/subResource /request/object/metadata/labels (input: fields)", "kapi_admit(i32, i32) -> i64", "ok"}},
		{"process manifest", filepath.Join(dir, "ownerauthz", "manifest.yaml"), 0,
			[]string{"kind:        Authorizer", "mode:        process", "resource:    /v1 namespaces (get)", "sent:        /spec/user /spec/resourceAttributes", "ok"}},
		{"rules", rules, 0, []string{"called on:   CREATE,UPDATE /v1 pods (scope *)", "ok"}},
		{"manifest problem", broken, 1, []string{`problem: manifest "broken": kind: "Admission" is not one of`}},
		{"garbage module", garbage, 1, []string{"problem: compiling"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := runCLI("plugin", "inspect", c.file)
			if code != c.code {
				t.Errorf("exit %d, want %d:\n%s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func writeCases(t *testing.T, cases map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range cases {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const podReviewJSON = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"ns","name":"p",
 "userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},"spec":{"containers":[{"name":"c","image":"%s"}]}}}}`

func TestPluginTest(t *testing.T) {
	dir := examplesDir(t)
	good := writeCases(t, map[string]string{
		"latest": `{"review": ` + fmt.Sprintf(podReviewJSON, "nginx:latest") + `, "expect": {"allowed": false, "message": "latest"}}`,
		"tagged": `{"review": ` + fmt.Sprintf(podReviewJSON, "nginx:1.27") + `, "expect": {"allowed": true}}`,
	})
	code, out := runCLI("plugin", "test", filepath.Join(dir, "no-latest"), "--cases", good)
	if code != 0 || !strings.Contains(out, "PASS  latest: allowed=false") || !strings.Contains(out, "PASS  tagged: allowed=true") || !strings.Contains(out, "2 cases, 0 failed") {
		t.Errorf("passing cases: exit %d:\n%s", code, out)
	}

	bad := writeCases(t, map[string]string{
		"wrong": `{"review": ` + fmt.Sprintf(podReviewJSON, "nginx:latest") + `, "expect": {"allowed": true}}`,
	})
	code, out = runCLI("plugin", "test", filepath.Join(dir, "no-latest"), "--cases", bad)
	if code != 1 || !strings.Contains(out, "FAIL  wrong: allowed=false") || !strings.Contains(out, "want allowed=true") {
		t.Errorf("a mismatch: exit %d, want 1:\n%s", code, out)
	}

	patch := writeCases(t, map[string]string{
		"label": `{"review": ` + fmt.Sprintf(podReviewJSON, "nginx") + `, "expect": {"allowed": true, "patch": [{"op":"add","path":"/metadata/labels","value":{"team":"unassigned"}}]}}`,
	})
	if code, out := runCLI("plugin", "test", filepath.Join(dir, "default-label"), "--cases", patch); code != 0 {
		t.Errorf("default-label: exit %d:\n%s", code, out)
	}

	// The process authorizer reads the namespace the case supplies.
	authz := writeCases(t, map[string]string{
		"foreign": `{"review": {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"alice",
		   "resourceAttributes":{"namespace":"bobs","verb":"create","version":"v1","resource":"configmaps"}}},
		 "objects": [{"object": {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bobs","labels":{"owner":"bob"}}}}],
		 "expect": {"allowed": false, "denied": true, "message": "belongs to \"bob\""}}`,
		"own": `{"review": {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob",
		   "resourceAttributes":{"namespace":"bobs","verb":"create","version":"v1","resource":"configmaps"}}},
		 "objects": [{"object": {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bobs","labels":{"owner":"bob"}}}}],
		 "expect": {"allowed": false, "denied": false}}`,
	})
	if code, out := runCLI("plugin", "test", filepath.Join(dir, "ownerauthz"), "--cases", authz); code != 0 || !strings.Contains(out, "PASS  foreign: allowed=false denied=true") {
		t.Errorf("ownerauthz: exit %d:\n%s", code, out)
	}

	if code, out := runCLI("plugin", "test", filepath.Join(dir, "no-latest")); code != 2 {
		t.Errorf("without --cases: exit %d, want 2:\n%s", code, out)
	}
}

// `apiserver --plugin-dir=<examples> --plugin-config=<examples>/kapi-plugins.yaml` serves with
// the examples loaded: no :latest images, the default label, and owners' namespaces kept to them.
func TestServerWithExamplePlugins(t *testing.T) {
	dir := examplesDir(t)
	dataDir := t.TempDir()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("alice-token,alice,uid-alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dataDir, "admin.kubeconfig")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, []string{"--data-dir=" + dataDir, "--secure-port=0", "--bind-address=127.0.0.1",
			"--token-auth-file=" + tokens, "--plugin-dir=" + dir, "--plugin-config=" + filepath.Join(dir, "kapi-plugins.yaml")}, &bytes.Buffer{}, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("server exited %d", code)
		}
	}()
	for !strings.Contains(stderr.String(), "export KUBECONFIG="+kubeconfig) {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("server exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	admin, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(admin)
	aliceCfg := rest.AnonymousClientConfig(admin)
	aliceCfg.BearerToken = "alice-token"
	alice := kubernetes.NewForConfigOrDie(aliceCfg)
	bg := context.Background()

	for ns, owner := range map[string]string{"bobs": "bob", "alices": "alice"} {
		if _, err := cs.CoreV1().Namespaces().Create(bg, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"owner": owner}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// ownerauthz reads namespaces from the watch cache, as a list at resourceVersion 0 does: wait
	// until it has both, or a missing namespace would be ownerauthz's "no opinion".
	for seen := 0; seen < 2; {
		list, err := cs.CoreV1().Namespaces().List(bg, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			t.Fatal(err)
		}
		seen = 0
		for _, ns := range list.Items {
			if ns.Name == "bobs" || ns.Name == "alices" {
				seen++
			}
		}
	}
	pod := func(name, image string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}}
	}
	_, err = cs.CoreV1().Pods("alices").Create(bg, pod("latest", "nginx:latest"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "latest") {
		t.Errorf("a pod with nginx:latest: %v, want it rejected by no-latest", err)
	}
	created, err := cs.CoreV1().Pods("alices").Create(bg, pod("tagged", "nginx:1.27"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod with a tagged image: %v", err)
	}
	if created.Labels["team"] != "unassigned" {
		t.Errorf("labels %v, want default-label's team=unassigned", created.Labels)
	}
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	if _, err := alice.CoreV1().ConfigMaps("bobs").Create(bg, cm("mine"), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice writing into bob's namespace: %v, want Forbidden by ownerauthz", err)
	} else if !strings.Contains(err.Error(), `belongs to "bob"`) {
		t.Errorf("forbidden without ownerauthz's reason: %v", err)
	}
	if _, err := alice.CoreV1().ConfigMaps("alices").Create(bg, cm("mine"), metav1.CreateOptions{}); err != nil {
		t.Errorf("alice writing into her own namespace: %v", err)
	}
	// system:masters is allowed before any authorizer, ownerauthz included.
	if _, err := cs.CoreV1().ConfigMaps("bobs").Create(bg, cm("admins"), metav1.CreateOptions{}); err != nil {
		t.Errorf("the admin writing into bob's namespace: %v", err)
	}
}
