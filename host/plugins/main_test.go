package plugins

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// built is where the test binary's one run of sdk/examples/build (the program `make examples` and
// `make plugins` run) put the example plugins and the built-ins' loadable forms.
var built struct {
	once               sync.Once
	root               string
	examples, builtins string
	err                error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.root != "" {
		os.RemoveAll(built.root)
	}
	os.Exit(code)
}

// buildAll runs `go run ./sdk/examples/build -examples ... -plugins ...` once per test binary.
func buildAll(t *testing.T) (examples, builtins string) {
	t.Helper()
	built.once.Do(func() {
		built.root, built.err = os.MkdirTemp("", "kapi-plugins-test-")
		if built.err != nil {
			return
		}
		built.examples = filepath.Join(built.root, "examples")
		built.builtins = filepath.Join(built.root, "plugins")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "run", "./sdk/examples/build", "-examples", built.examples, "-plugins", built.builtins)
		cmd.Dir = filepath.Join("..", "..")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			built.err = fmt.Errorf("%v\n%s", err, out.String())
		}
	})
	if built.err != nil {
		t.Fatalf("building the plugin directories: %v", built.err)
	}
	return built.examples, built.builtins
}

// copyFolder copies the plugin folder src into dir/name.
func copyFolder(t *testing.T, src, dir, name string) string {
	t.Helper()
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
	return dst
}

// copyFile writes src's bytes to dst through a temporary file and a rename, as an operator's
// deployment would.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, b, fi.Mode())
}

func writeFile(t *testing.T, dst string, b []byte, mode os.FileMode) {
	t.Helper()
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}
