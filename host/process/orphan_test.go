package process_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/process"
)

// helperHostEnv, when set (to the plugin executable's path), makes the test binary a stand-in
// server: it loads the plugin, prints the plugin process's pid and waits to be killed.
const helperHostEnv = "KAPI_PROCESS_TEST_HELPER_HOST"

func runHelperHost() {
	m := manifest(&testing.T{}, "orphan", abi.KindAuthorizer)
	p, err := process.Load(context.Background(), m, os.Getenv(helperHostEnv), nil, process.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.PID())
	time.Sleep(time.Hour) // until killed
	os.Exit(1)
}

func TestNoOrphanWhenTheServerIsKilled(t *testing.T) {
	server := exec.Command(os.Args[0], "-test.run=^$")
	// A killed server cannot remove its plugin's socket directory: a directory of the test's
	// takes it (not t.TempDir, whose long name would make the socket's path too long).
	tmp, err := os.MkdirTemp("", "orphan")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	server.Env = append(os.Environ(), helperHostEnv+"="+testPlugin, "TMPDIR="+tmp)
	server.Stderr = os.Stderr
	out, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = server.Process.Kill()
		_ = server.Wait()
		t.Fatalf("stand-in server did not report its plugin's pid: %v", err)
	}
	pid, err := strconv.Atoi(line[:len(line)-1])
	if err != nil || !alive(pid) {
		t.Fatalf("stand-in server reported %q, not a live pid", line)
	}
	// SIGKILL: the server gets no chance to close its plugins.
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = server.Wait()
	waitFor(func() bool { return !alive(pid) })
}
