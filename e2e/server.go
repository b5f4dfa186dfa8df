package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Server is a running apiserver process started by the suite.
type Server struct {
	// Kubeconfig is the path of an admin kubeconfig that points at this server.
	Kubeconfig string
	// Config is a client-go config for Kubeconfig.
	Config *rest.Config
	// Addr is host:port of the secure port.
	Addr    string
	DataDir string

	cmd      *exec.Cmd
	done     chan struct{}
	log      *logBuffer
	stopOnce sync.Once
	stopErr  error
}

// ServerOptions describe how to start a server.
type ServerOptions struct {
	Binary  string
	DataDir string
	// Args are extra flags.
	Args []string
	// LogTo receives the server's log lines as well as the in-memory buffer (nil: none).
	LogTo io.Writer
}

var servingLine = regexp.MustCompile(`Serving securely on (\S+)`)

// BuildBinary compiles cmd/apiserver into dir and returns the binary's path.
func BuildBinary(dir string) (string, error) {
	out := filepath.Join(dir, "apiserver")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/apiserver")
	cmd.Dir = repoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building apiserver: %v\n%s", err, b)
	}
	return out, nil
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// StartServer starts the binary on a kernel-chosen port and waits until /readyz answers ok.
func StartServer(ctx context.Context, opts ServerOptions) (*Server, error) {
	args := append([]string{
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--data-dir=" + opts.DataDir,
	}, opts.Args...)
	cmd := exec.Command(opts.Binary, args...)
	// The server's own process group, so that a test's cleanup also reaches any plugin processes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr
	s := &Server{DataDir: opts.DataDir, cmd: cmd, done: make(chan struct{}), log: &logBuffer{}}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", opts.Binary, err)
	}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			s.log.add(line)
			if opts.LogTo != nil {
				fmt.Fprintln(opts.LogTo, line)
			}
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case addrCh <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()

	select {
	case s.Addr = <-addrCh:
	case <-s.done:
		return nil, fmt.Errorf("apiserver exited before serving:\n%s", s.log.String())
	case <-time.After(2 * time.Minute):
		s.Stop()
		return nil, fmt.Errorf("apiserver did not report its address within 2m:\n%s", s.log.String())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	if err := s.writeKubeconfig(); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// writeKubeconfig copies the server's admin.kubeconfig, pointed at the port it really listens on.
func (s *Server) writeKubeconfig() error {
	src := filepath.Join(s.DataDir, "admin.kubeconfig")
	var cfg, err = clientcmd.LoadFromFile(src)
	for i := 0; err != nil && i < 100; i++ {
		time.Sleep(100 * time.Millisecond)
		cfg, err = clientcmd.LoadFromFile(src)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + s.Addr
	}
	s.Kubeconfig = filepath.Join(s.DataDir, "e2e.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, s.Kubeconfig); err != nil {
		return err
	}
	s.Config, err = clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	return err
}

func (s *Server) waitReady(ctx context.Context) error {
	client, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+s.Addr+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("apiserver exited before ready:\n%s", s.log.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("apiserver not ready within 2m:\n%s", s.log.String())
		}
	}
}

// Stop sends SIGTERM, waits for a graceful exit, and kills the process group if it does not come.
// It may be called more than once, from any goroutine; every call returns the first one's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	if s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return fmt.Errorf("apiserver did not stop within 60s of SIGTERM")
	}
	// Anything left in the group (plugin processes) goes too.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	if st := s.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("apiserver exited with %v", st)
	}
	return nil
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Log returns what the server has logged so far.
func (s *Server) Log() string { return s.log.String() }

type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	if len(b.lines) > 5000 {
		b.lines = b.lines[len(b.lines)-5000:]
	}
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// Environment variable that points the suite at an existing server.
const kubeconfigEnv = "KAPI_E2E_KUBECONFIG"

// ExternalKubeconfig returns the kubeconfig named by KAPI_E2E_KUBECONFIG, if any.
func ExternalKubeconfig() string { return os.Getenv(kubeconfigEnv) }

// PID is the server process's ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }
