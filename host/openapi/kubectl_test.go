package openapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/host/discovery"
	"github.com/kapi-dev/kapi/host/openapi"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
)

const kubectlPath = "/usr/bin/kubectl"

// TestKubectl runs the real kubectl against discovery and OpenAPI served for the built-in
// resources: api-resources reads discovery, explain reads /openapi/v3.
func TestKubectl(t *testing.T) {
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Skipf("no kubectl at %s", kubectlPath)
	}
	reg := registry.New()
	for _, r := range builtin.Resources() {
		reg.Add(&registry.Entry{Resource: r})
	}
	disc := discovery.NewHandler(reg, func(r *http.Request) string { return r.Host })
	oapi := openapi.NewHandler(reg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		parts := strings.Split(strings.Trim(p, "/"), "/")
		switch {
		case p == "/openapi/v2":
			oapi.ServeV2(w, r)
		case p == "/openapi/v3":
			oapi.ServeV3Index(w, r)
		case strings.HasPrefix(p, "/openapi/v3/"):
			oapi.ServeV3(w, r, strings.TrimPrefix(p, "/openapi/v3/"))
		case p == "/api":
			disc.ServeAPI(w, r)
		case p == "/apis":
			disc.ServeAPIs(w, r)
		case len(parts) == 2 && parts[0] == "api":
			disc.ServeGroupVersion(w, r, "", parts[1])
		case len(parts) == 2 && parts[0] == "apis":
			disc.ServeGroup(w, r)
		case len(parts) == 3 && parts[0] == "apis":
			disc.ServeGroupVersion(w, r, parts[1], parts[2])
		case p == "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"32","gitVersion":"v1.32.0"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	config := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + srv.URL +
		"\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n"
	if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl := func(args ...string) string {
		t.Helper()
		args = append([]string{"--kubeconfig=" + kubeconfig, "--cache-dir=" + filepath.Join(dir, "cache")}, args...)
		out, err := exec.CommandContext(context.Background(), kubectlPath, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args[2:], " "), err, out)
		}
		return string(out)
	}

	resources := kubectl("api-resources")
	for _, want := range []string{
		`(?m)^pods\s+po\s+v1\s+true\s+Pod$`,
		`(?m)^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$`,
		`(?m)^namespaces\s+ns\s+v1\s+false\s+Namespace$`,
	} {
		if !regexp.MustCompile(want).MatchString(resources) {
			t.Errorf("api-resources lacks a line matching %s:\n%s", want, resources)
		}
	}
	if explain := kubectl("explain", "deployment.spec.replicas"); !strings.Contains(explain, "replicas") || !strings.Contains(explain, "integer") {
		t.Errorf("explain deployment.spec.replicas:\n%s", explain)
	}
	if explain := kubectl("explain", "pods.spec.containers"); !strings.Contains(explain, "image") || !strings.Contains(explain, "FIELDS") {
		t.Errorf("explain pods.spec.containers:\n%s", explain)
	}
	if explain := kubectl("explain", "configmap", "--output=plaintext-openapiv2"); !strings.Contains(explain, "ConfigMap") {
		t.Errorf("explain configmap from OpenAPI v2:\n%s", explain)
	}
}
