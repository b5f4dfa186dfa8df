package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The suite's shared target, set up once by TestMain.
var (
	kubeconfig string
	restConfig *rest.Config
	clientset  *kubernetes.Clientset
	dynClient  *dynamic.DynamicClient
	// local is the server this suite started, nil when running against KAPI_E2E_KUBECONFIG.
	local *Server
	// binary is the built apiserver, empty against an external server.
	binary string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	if ext := ExternalKubeconfig(); ext != "" {
		kubeconfig = ext
	} else {
		dir, err := os.MkdirTemp("", "kapi-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary, err = BuildBinary(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		local, err = StartServer(ctx, ServerOptions{
			Binary:  binary,
			DataDir: dir + "/data",
			// Compaction runs often so the 410 tests do not wait minutes.
			Args: []string{"--etcd-compaction-interval=2s"},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() {
			if err := local.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "stopping apiserver:", err)
			}
		}()
		kubeconfig = local.Kubeconfig
	}
	var err error
	restConfig, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	restConfig.QPS, restConfig.Burst = 500, 1000
	clientset = kubernetes.NewForConfigOrDie(restConfig)
	dynClient = dynamic.NewForConfigOrDie(restConfig)
	code := m.Run()
	if code != 0 && local != nil {
		fmt.Fprintf(os.Stderr, "--- apiserver log (last lines) ---\n%s\n", tail(local.Log(), 200))
	}
	return code
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// needLocal skips a test that must start or inspect kapi processes itself.
func needLocal(t *testing.T) {
	t.Helper()
	if local == nil {
		t.Skip("needs the suite's own apiserver; running against " + kubeconfigEnv)
	}
}

// kubectl runs /usr/bin/kubectl against the target and returns its stdout; a failure fails the test.
func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runKubectl(stdin, nil, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// kubectlFails runs kubectl expecting failure and returns its stderr.
func kubectlFails(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runKubectl(stdin, nil, args...)
	if err == nil {
		t.Fatalf("kubectl %s succeeded, want failure\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return errOut
}

func runKubectl(stdin string, env []string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/kubectl", append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// testNamespace creates a namespace for one test and deletes it when the test ends.
func testNamespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns, err := clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating test namespace: %v", err)
	}
	t.Cleanup(func() {
		err := clientset.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", ns.Name, err)
		}
	})
	// A namespace's default service account arrives from a controller; tests that create pods
	// need nothing of it, so no wait here.
	return ns.Name
}

// eventually polls cond until it holds or two minutes pass (a readiness bound, not a speed check).
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	eventuallyWithin(t, 2*time.Minute, what, cond)
}

// eventuallyWithin is eventually with its own bound.
func eventuallyWithin(t *testing.T, bound time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, bound, true,
		func(context.Context) (bool, error) { return cond() })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
