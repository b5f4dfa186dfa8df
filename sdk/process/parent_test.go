package process

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// roleEnv makes the test binary play a part in TestPluginExitsWhenItsParentDies: "middle" starts
// a "child" and reports its pid; "child" runs watchParent as Serve does.
const roleEnv = "KAPI_SDK_PROCESS_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "middle":
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), roleEnv+"=child")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(child.Process.Pid)
		time.Sleep(time.Hour) // until killed (select{} would trip Go's deadlock detector)
		os.Exit(1)
	case "child":
		ppid := os.Getppid()
		fmt.Println("watching")
		watchParent(ppid, 10*time.Millisecond)
		time.Sleep(time.Hour) // only watchParent's exit may end the child
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestPluginExitsWhenItsParentDies checks the backstop to Pdeathsig on its own: the child here
// is started without Pdeathsig, so only watchParent can end it when its parent is SIGKILLed.
func TestPluginExitsWhenItsParentDies(t *testing.T) {
	middle := exec.Command(os.Args[0], "-test.run=^$")
	middle.Env = append(os.Environ(), roleEnv+"=middle")
	out, err := middle.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := middle.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err == nil {
		// The child has taken its parent's pid: killing the parent now is a change it must see.
		_, err = r.ReadString('\n')
	}
	if err != nil {
		_ = middle.Process.Kill()
		_ = middle.Wait()
		t.Fatalf("reading the child's pid: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !running(child) {
		t.Fatalf("child pid %q is not a running process", line)
	}
	if err := middle.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = middle.Wait()
	for running(child) {
		time.Sleep(10 * time.Millisecond)
	}
}

// running reports whether pid is a process that is neither gone nor a zombie.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	return len(f) > 0 && f[0] != "Z"
}
