package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestBadFlagsExitOneNamingTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		flag string
	}{
		{[]string{"--secure-port=abc"}, "--secure-port"},
		{[]string{"--secure-port=70000"}, "--secure-port"},
		{[]string{"--bind-address=nowhere"}, "--bind-address"},
		{[]string{"--no-such-flag"}, "--no-such-flag"},
		{[]string{"--max-requests-inflight=-1"}, "--max-requests-inflight"},
		{[]string{"--max-mutating-requests-inflight=x"}, "--max-mutating-requests-inflight"},
		{[]string{"--request-timeout=0s"}, "--request-timeout"},
		{[]string{"--request-timeout=soon"}, "--request-timeout"},
		{[]string{"--anonymous-auth=maybe"}, "--anonymous-auth"},
		{[]string{"--service-cluster-ip-range=10.96.0.0/99"}, "--service-cluster-ip-range"},
		{[]string{"--etcd-compaction-interval=-1m"}, "--etcd-compaction-interval"},
		{[]string{"--tls-cert-file=/x"}, "--tls-private-key-file"},
		{[]string{"--authorization-mode=RBAC"}, "--authorization-mode"},
		{[]string{"--token-auth-file=/nonexistent/tokens.csv"}, "--token-auth-file"},
		{[]string{"--client-ca-file=/nonexistent/ca.crt"}, "--client-ca-file"},
		{[]string{"stray"}, "stray"},
		{[]string{"--etcd-servers-overrides=pods"}, "--etcd-servers-overrides"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"--data-dir=" + t.TempDir(), "--secure-port=0"}, tc.args...)
			if code := dispatch(context.Background(), args, &bytes.Buffer{}, &stderr); code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.flag) {
				t.Fatalf("stderr does not name %s: %q", tc.flag, stderr.String())
			}
		})
	}
}

func TestVersionSubcommand(t *testing.T) {
	var out bytes.Buffer
	if code := dispatch(context.Background(), []string{"version"}, &out, &bytes.Buffer{}); code != 0 || !strings.Contains(out.String(), `"gitVersion": "v1.32.0-kapi"`) {
		t.Fatalf("exit %d, %q", code, out.String())
	}
}

// startInProcess runs the server in this process until the returned stop is called, and waits for
// the admin kubeconfig to point at it.
func startInProcess(t *testing.T, dataDir string) (kubeconfig string, stop func() int) {
	t.Helper()
	kubeconfig = filepath.Join(dataDir, "admin.kubeconfig")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, []string{"--data-dir=" + dataDir, "--secure-port=0", "--bind-address=127.0.0.1"}, &bytes.Buffer{}, &stderr)
	}()
	for !strings.Contains(stderr.String(), "export KUBECONFIG="+kubeconfig) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("server exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := os.Stat(kubeconfig); err != nil {
		t.Fatalf("kubeconfig not written: %v", err)
	}
	return kubeconfig, func() int {
		cancel()
		return <-done
	}
}

func TestDevModeCertsAndKubeconfigReused(t *testing.T) {
	dir := t.TempDir()
	kubeconfig, stop := startInProcess(t, dir)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("the admin kubeconfig does not reach the server: %v", err)
	}
	if v.GitVersion != "v1.32.0-kapi" {
		t.Fatalf("version %+v", v)
	}
	ca, _ := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	serving, _ := os.ReadFile(filepath.Join(dir, "pki", "serving.crt"))
	if code := stop(); code != 0 {
		t.Fatalf("graceful stop exited %d", code)
	}

	// A restart reuses the PKI; the kubeconfig is rewritten for the new port and still works.
	kubeconfig, stop = startInProcess(t, dir)
	defer stop()
	ca2, _ := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	serving2, _ := os.ReadFile(filepath.Join(dir, "pki", "serving.crt"))
	if !bytes.Equal(ca, ca2) || !bytes.Equal(serving, serving2) {
		t.Fatal("dev certificates were remade on restart")
	}
	cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
