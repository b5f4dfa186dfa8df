package pluginkit

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
)

// Process runs the Go main package in dir (relative to the test) as a plugin process: built
// natively with BuildProcessPlugin, loaded by host/process, its host services served to it over
// go-plugin's broker.
func Process(spec Spec, dir string) Mode { return processMode{spec, dir} }

type processMode struct {
	spec Spec
	dir  string
}

func (m processMode) Name() string { return string(pluginapi.ModeProcess) }
func (m processMode) Spec() Spec   { return m.spec }

func (m processMode) Start(t testing.TB, host abi.Host) abi.Plugin {
	t.Helper()
	exe := BuildProcessPlugin(t, m.dir)
	man := m.spec.manifest(t)
	man.Mode = pluginapi.ModeProcess
	p, err := process.Load(context.Background(), man, exe, host, process.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("process: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// builtExecutables caches plugin executables' bytes per package directory, so a test binary
// compiles each plugin once; each caller gets its own copy in its own temporary directory.
var builtExecutables sync.Map // absolute dir -> []byte

// BuildProcessPlugin compiles the Go main package in dir (relative to the test's working
// directory) for the machine running the test and returns the path of the executable, inside
// t.TempDir(). A failed build fails the test with the compiler's output.
func BuildProcessPlugin(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), filepath.Base(abs))
	if b, ok := builtExecutables.Load(abs); ok {
		if err := os.WriteFile(exe, b.([]byte), 0o755); err != nil {
			t.Fatal(err)
		}
		return exe
	}
	b := goBuild(t, "process plugin", dir, exe, nil)
	builtExecutables.Store(abs, b)
	return exe
}
