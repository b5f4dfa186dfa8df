package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: %d
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:%s
        ports:
        - containerPort: 80
`

func TestKubectlCreateGetDelete(t *testing.T) {
	ns := testNamespace(t)
	out := kubectl(t, "", "-n", ns, "create", "configmap", "settings", "--from-literal=color=blue")
	if !strings.Contains(out, "configmap/settings created") {
		t.Fatalf("create said %q", out)
	}
	out = kubectl(t, "", "-n", ns, "get", "configmaps")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "DATA") || !regexpLine(out, `^settings\s+1\s+\S+$`) {
		t.Fatalf("table output lacks the configmap row with DATA 1:\n%s", out)
	}
	if got := kubectl(t, "", "-n", ns, "get", "configmap", "settings", "-o", "jsonpath={.data.color}"); got != "blue" {
		t.Fatalf("jsonpath gave %q, want blue", got)
	}
	var obj map[string]interface{}
	if err := json.Unmarshal([]byte(kubectl(t, "", "-n", ns, "get", "cm", "settings", "-o", "json")), &obj); err != nil {
		t.Fatalf("-o json is not JSON: %v", err)
	}
	if obj["kind"] != "ConfigMap" || obj["apiVersion"] != "v1" {
		t.Fatalf("-o json has kind %v apiVersion %v", obj["kind"], obj["apiVersion"])
	}
	y := kubectl(t, "", "-n", ns, "get", "cm", "settings", "-o", "yaml")
	for _, want := range []string{"kind: ConfigMap", "color: blue", "resourceVersion:", "uid:", "creationTimestamp:"} {
		if !strings.Contains(y, want) {
			t.Errorf("-o yaml lacks %q:\n%s", want, y)
		}
	}
	out = kubectl(t, "", "-n", ns, "delete", "configmap", "settings")
	if !strings.Contains(out, `configmap "settings" deleted`) {
		t.Fatalf("delete said %q", out)
	}
	errOut := kubectlFails(t, "", "-n", ns, "get", "configmap", "settings")
	if !strings.Contains(errOut, `configmaps "settings" not found`) {
		t.Fatalf("get after delete said %q", errOut)
	}
}

func TestKubectlApplyCreatesThenUpdates(t *testing.T) {
	ns := testNamespace(t)
	out := kubectl(t, fmt.Sprintf(deploymentYAML, 2, "1.25"), "-n", ns, "apply", "-f", "-")
	if !strings.Contains(out, "deployment.apps/web created") {
		t.Fatalf("first apply said %q", out)
	}
	out = kubectl(t, fmt.Sprintf(deploymentYAML, 3, "1.26"), "-n", ns, "apply", "-f", "-")
	if !strings.Contains(out, "deployment.apps/web configured") {
		t.Fatalf("second apply said %q", out)
	}
	d, err := clientset.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.26" {
		t.Fatalf("after apply: replicas %d image %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
	}
	if d.Generation != 2 {
		t.Errorf("generation %d after one spec change, want 2", d.Generation)
	}
	if _, ok := d.Annotations["kubectl.kubernetes.io/last-applied-configuration"]; !ok {
		t.Errorf("client-side apply left no last-applied-configuration annotation")
	}
	out = kubectl(t, fmt.Sprintf(deploymentYAML, 3, "1.26"), "-n", ns, "apply", "-f", "-")
	if !strings.Contains(out, "deployment.apps/web unchanged") {
		t.Fatalf("third apply (no change) said %q", out)
	}
	out = kubectl(t, "", "-n", ns, "get", "deployments")
	for _, col := range []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"} {
		if !strings.Contains(out, col) {
			t.Errorf("deployment table lacks column %s:\n%s", col, out)
		}
	}
}

func TestKubectlLabelAnnotatePatch(t *testing.T) {
	ns := testNamespace(t)
	kubectl(t, fmt.Sprintf(deploymentYAML, 1, "1.25"), "-n", ns, "create", "-f", "-")
	kubectl(t, "", "-n", ns, "label", "deployment", "web", "tier=frontend")
	kubectl(t, "", "-n", ns, "annotate", "deployment", "web", "owner=team-a")
	kubectl(t, "", "-n", ns, "patch", "deployment", "web", "--type=merge", "-p", `{"spec":{"replicas":4}}`)
	kubectl(t, "", "-n", ns, "patch", "deployment", "web", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.27"}]`)
	// Strategic merge: containers merge by name, so adding a sidecar keeps nginx.
	kubectl(t, "", "-n", ns, "patch", "deployment", "web", "--type=strategic",
		"-p", `{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}`)
	d, err := clientset.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Labels["tier"] != "frontend" || d.Annotations["owner"] != "team-a" {
		t.Errorf("labels %v annotations %v", d.Labels, d.Annotations)
	}
	if *d.Spec.Replicas != 4 {
		t.Errorf("replicas %d after merge patch, want 4", *d.Spec.Replicas)
	}
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 2 {
		t.Fatalf("strategic merge gave %d containers, want 2 (nginx kept, sidecar added): %+v", len(cs), cs)
	}
	images := map[string]string{}
	for _, c := range cs {
		images[c.Name] = c.Image
	}
	if images["nginx"] != "nginx:1.27" || images["sidecar"] != "busybox:1.36" {
		t.Errorf("containers after patches: %v", images)
	}
	out := kubectl(t, "", "-n", ns, "get", "deployments", "-l", "tier=frontend", "-o", "name")
	if strings.TrimSpace(out) != "deployment.apps/web" {
		t.Errorf("label selector gave %q", out)
	}
	errOut := kubectlFails(t, "", "-n", ns, "patch", "deployment", "web", "--type=json", "-p", `[{"op":"remove","path":"/spec/nothere"}]`)
	if errOut == "" {
		t.Errorf("a bad JSON patch failed without a message")
	}
}

func TestKubectlEdit(t *testing.T) {
	ns := testNamespace(t)
	kubectl(t, "", "-n", ns, "create", "configmap", "editme", "--from-literal=mode=old")
	// kubectl edit runs $KUBE_EDITOR on a temp file holding the object; the editor is a script
	// that rewrites the value, as a person would in vi.
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i 's/mode: old/mode: new/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runKubectl("", []string{"KUBE_EDITOR=" + editor, "EDITOR=" + editor}, "-n", ns, "edit", "configmap", "editme")
	if err != nil {
		t.Fatalf("kubectl edit: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "configmap/editme edited") {
		t.Fatalf("edit said %q", out)
	}
	if got := kubectl(t, "", "-n", ns, "get", "cm", "editme", "-o", "jsonpath={.data.mode}"); got != "new" {
		t.Fatalf("after edit mode=%q", got)
	}
}

func TestKubectlGetWatch(t *testing.T) {
	ns := testNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/kubectl", "--kubeconfig="+kubeconfig, "-n", ns, "get", "configmaps", "-w", "-o", "name")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// kube-root-ca.crt may or may not exist yet; create until the watcher reports ours.
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("watched-%d", i)
		kubectl(t, "", "-n", ns, "create", "configmap", name)
		for !seen["configmap/"+name] {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("kubectl get -w ended early: %s", stderr.String())
				}
				seen[strings.TrimSpace(l)] = true
			case <-ctx.Done():
				t.Fatalf("kubectl get -w never showed %s; saw %v; stderr %s", name, seen, stderr.String())
			}
		}
	}
}

func TestKubectlDiscovery(t *testing.T) {
	out := kubectl(t, "", "api-resources")
	for _, want := range []string{
		`^pods\s+po\s+v1\s+true\s+Pod$`,
		`^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$`,
		`^namespaces\s+ns\s+v1\s+false\s+Namespace$`,
		`^clusterroles\s+rbac.authorization.k8s.io/v1\s+false\s+ClusterRole$`,
		`^leases\s+coordination.k8s.io/v1\s+true\s+Lease$`,
		`^cronjobs\s+cj\s+batch/v1\s+true\s+CronJob$`,
	} {
		if !regexpLine(out, want) {
			t.Errorf("api-resources lacks a line matching %s", want)
		}
	}
	versions := kubectl(t, "", "api-versions")
	for _, want := range []string{"v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1", "policy/v1", "discovery.k8s.io/v1"} {
		if !regexpLine(versions, "^"+strings.ReplaceAll(want, ".", `\.`)+"$") {
			t.Errorf("api-versions lacks %s:\n%s", want, versions)
		}
	}
	explain := kubectl(t, "", "explain", "deployment.spec.replicas")
	if !strings.Contains(explain, "replicas") || !strings.Contains(explain, "integer") {
		t.Errorf("explain deployment.spec.replicas:\n%s", explain)
	}
	explain = kubectl(t, "", "explain", "pods.spec.containers")
	if !strings.Contains(explain, "image") || !strings.Contains(explain, "FIELDS") {
		t.Errorf("explain pods.spec.containers:\n%s", explain)
	}
}

func TestKubectlDeleteNamespaceRemovesContents(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	kubectl(t, "", "-n", ns, "create", "configmap", "doomed")
	kubectl(t, fmt.Sprintf(deploymentYAML, 1, "1.25"), "-n", ns, "create", "-f", "-")
	kubectl(t, "", "delete", "namespace", ns, "--wait=true", "--timeout=2m")
	if _, err := clientset.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s after delete: err=%v, want NotFound", ns, err)
	}
	cms, err := clientset.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deps, err := clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cms.Items)+len(deps.Items) != 0 {
		t.Fatalf("namespace %s left %d configmaps and %d deployments", ns, len(cms.Items), len(deps.Items))
	}
}

func regexpLine(text, pattern string) bool {
	return regexp.MustCompile("(?m)" + pattern).MatchString(strings.ReplaceAll(text, "\r", ""))
}
