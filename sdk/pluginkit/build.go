package pluginkit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// built caches modules per package directory, so a test binary builds each guest once.
var built sync.Map // absolute dir -> []byte

// BuildGoGuest compiles the Go main package in dir (relative to the test's working directory)
// with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared into a temporary directory and returns the
// module's bytes. A failed build fails the test with the compiler's output.
func BuildGoGuest(t testing.TB, dir string) []byte {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := built.Load(abs); ok {
		return b.([]byte)
	}
	b := goBuild(t, "Wasm guest", dir, filepath.Join(t.TempDir(), filepath.Base(abs)+".wasm"),
		[]string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}, "-buildmode=c-shared")
	built.Store(abs, b)
	return b
}

// goBuild runs go build with flags on the main package in dir, writing out, with env added to
// the test's environment, and returns out's bytes. A failed build fails the test with the
// compiler's output, naming what was built.
func goBuild(t testing.TB, what, dir, out string, env []string, flags ...string) []byte {
	t.Helper()
	args := append(append([]string{"build"}, flags...), "-o", out, ".")
	cmd := exec.Command(goTool(), args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		t.Fatalf("building %s %s: %v\n%s", what, dir, err, output.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// AssembleWAT assembles a WebAssembly text file with wabt's wat2wasm. wat2wasm must be installed
// (Debian package wabt); its absence fails the test, it is never skipped, so that CI cannot pass
// without running a guest that is not written in Go.
func AssembleWAT(t testing.TB, watFile string) []byte {
	t.Helper()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Fatalf("wat2wasm not found (%v): install Debian's wabt package (apt-get install -y wabt) to assemble %s", err, watFile)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(watFile)+".wasm")
	if msg, err := exec.Command(tool, watFile, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm %s: %v\n%s", watFile, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goTool is the go command of the toolchain running the test.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
