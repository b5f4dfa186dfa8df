package process_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
)

// testPlugin is the executable built from testdata/testplugin by TestMain; garbageFirst and
// abiTwo are the same binary under the names that make it print before the handshake and speak
// ABI 2.
var testPlugin, garbageFirst, abiTwo string

func TestMain(m *testing.M) {
	if os.Getenv(helperHostEnv) != "" {
		runHelperHost()
		return
	}
	// Every temporary file of the package's tests and of the plugins they start goes to a
	// directory of the run's own, which must be empty at the end: a plugin process killed
	// from outside must not leave its socket behind.
	tmp, err := os.MkdirTemp("", "kapi-process-tmp")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	dir, err := os.MkdirTemp("", "kapi-process-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testPlugin = filepath.Join(dir, "testplugin")
	garbageFirst = filepath.Join(dir, "garbage-first")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", testPlugin, "./testdata/testplugin")
	// As plugins should be built: without cgo, whose 8 MiB thread stacks count against
	// limits.memoryMiB (see the package doc).
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/testplugin: %v\n%s", err, out)
		os.Exit(1)
	}
	abiTwo = filepath.Join(dir, "abi-two")
	for _, link := range []string{garbageFirst, abiTwo} {
		if err := os.Symlink(testPlugin, link); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if left, err := os.ReadDir(tmp); err != nil || len(left) > 0 {
		fmt.Fprintf(os.Stderr, "temporary files left behind in %s: %v %v\n", tmp, left, err)
		code = 1
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// manifest is a process plugin manifest of the given kind, validated.
func manifest(t testing.TB, name string, kind abi.Kind, mutate ...func(*pluginapi.Manifest)) *pluginapi.Manifest {
	t.Helper()
	m := &pluginapi.Manifest{Name: name, Kind: kind, ABIVersion: abi.Version, Mode: pluginapi.ModeProcess, Entry: "testplugin",
		Limits: pluginapi.Limits{Timeout: pluginapi.Duration(10 * time.Second)}}
	for _, f := range mutate {
		f(m)
	}
	m.SetDefaults()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// load starts testplugin under m, closed at the end of the test.
func load(t testing.TB, m *pluginapi.Manifest, host abi.Host, opts process.Options) *process.Plugin {
	t.Helper()
	p, err := process.Load(context.Background(), m, testPlugin, host, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// guarded wraps p in the manifest's failure policy, as the server does.
func guarded(t testing.TB, m *pluginapi.Manifest, p *process.Plugin) abi.Authorizer {
	t.Helper()
	g, err := pluginapi.WithFailurePolicy(m, pluginapi.ModeProcess, p, p.Metrics(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g.(abi.Authorizer)
}

func review(user string) *abi.SubjectAccessReview {
	return abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &abi.ResourceAttributes{Namespace: "team-a", Verb: "create", Version: "v1", Resource: "configmaps"}})
}

// procState is the state letter of /proc/<pid>/stat ("" if there is no such process) and the
// parent's pid.
func procState(pid int) (state string, ppid int) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses, so split after the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return "", 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	s, _ := procState(pid)
	return s != "" && s != "Z"
}

// childrenOf lists the processes whose parent is pid, zombies included.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ppid := procState(n); s != "" && ppid == pid {
			kids = append(kids, n)
		}
	}
	return kids
}

// waitFor polls cond every 10ms until it holds; the test binary's -timeout bounds it.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(10 * time.Millisecond)
	}
}

// checkNoLeaks fails the test if, after everything it loaded was closed, the test process still
// has children or more goroutines than before (given time to settle).
func checkNoLeaks(t *testing.T, goroutinesBefore int) {
	t.Helper()
	if kids := childrenOf(os.Getpid()); len(kids) > 0 {
		t.Errorf("processes left behind after Close: %v", kids)
	}
	for range 500 {
		if runtime.NumGoroutine() <= goroutinesBefore {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	t.Errorf("goroutines: %d before, %d after Close:\n%s", goroutinesBefore, runtime.NumGoroutine(), buf[:n])
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

func removeFile(name string) error { return os.Remove(name) }
