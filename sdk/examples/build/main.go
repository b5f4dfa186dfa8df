// Command build makes ready plugin directories, the one build `make examples`, `make plugins` and
// the tests share:
//
//	go run ./sdk/examples/build -examples _output/examples   # make examples
//	go run ./sdk/examples/build -plugins _output/plugins     # make plugins
//
// -examples builds sdk/examples (no-latest and default-label as Wasm guests, no-latest again as a
// process plugin into no-latest-process/, ownerauthz as a process plugin, denymarker from
// WebAssembly text when wat2wasm is installed), a folder each with its manifest, and writes kapi-plugins.yaml, the PluginConfiguration that enables the two
// admission examples and the authorizer ahead of AlwaysAllow:
//
//	apiserver --plugin-dir=_output/examples --plugin-config=_output/examples/kapi-plugins.yaml
//
// -plugins builds every built-in (plugins/loadable/*) in both loadable forms, into
// <name>-wasm/ (plugin.wasm) and <name>-process/ (the executable), each with its manifest.
//
// It runs from anywhere inside the module; it imports the standard library only.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/kapi-dev/kapi/plugins/admission/namespacelifecycle"
	"github.com/kapi-dev/kapi/plugins/authn/tokenfile"
	"github.com/kapi-dev/kapi/plugins/authn/x509"
	"github.com/kapi-dev/kapi/plugins/authz/alwaysallow"
	"github.com/kapi-dev/kapi/plugins/authz/alwaysdeny"
	"github.com/kapi-dev/kapi/sdk/examples/defaultlabel"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
)

func main() {
	examples := flag.String("examples", "", "build the example plugins into this directory")
	builtins := flag.String("plugins", "", "build every built-in in both loadable forms into this directory")
	flag.Parse()
	if *examples == "" && *builtins == "" {
		fmt.Fprintln(os.Stderr, "build: give -examples DIR and/or -plugins DIR")
		os.Exit(2)
	}
	root, err := moduleRoot()
	if err == nil && *examples != "" {
		err = buildExamples(root, *examples)
	}
	if err == nil && *builtins != "" {
		err = buildBuiltins(root, *builtins)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n", err)
		os.Exit(1)
	}
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); exists(p) {
		return p
	}
	return "go"
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// goBuild builds the main package pkg (relative to root) into out; wasm builds a wasip1 reactor.
func goBuild(root, pkg, out string, wasm bool) error {
	args := []string{"build", "-o", out}
	if wasm {
		args = append(args, "-buildmode=c-shared")
	}
	cmd := exec.Command(goTool(), append(args, "./"+pkg)...)
	cmd.Dir = root
	// Without cgo either way: a process plugin's OS threads then have no 8 MiB stack mappings
	// counting against its limits.memoryMiB (host/process).
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if wasm {
		cmd.Env = append(cmd.Env, "GOOS=wasip1", "GOARCH=wasm")
	}
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg.String())
	}
	return nil
}

// folder makes dir/name and writes its manifest.
func folder(dir, name, manifest string) (string, error) {
	f := filepath.Join(dir, name)
	if err := os.MkdirAll(f, 0o755); err != nil {
		return "", err
	}
	return f, os.WriteFile(filepath.Join(f, "manifest.yaml"), []byte(manifest), 0o644)
}

// Example manifests; the ownerauthz one is the example's own file.
const (
	// The Wasm examples are sent the fields table of their reads (abi/SPEC.md 2.2), the
	// cheapest form for a Go guest; the process plugin reads their projection's JSON natively.
	noLatestManifest = `name: no-latest
kind: ValidatingAdmission
abiVersion: "1.2"
mode: wasm
entry: plugin.wasm
limits: {memoryMiB: 64, timeout: 1s, instances: 2}
failurePolicy: Fail
config: {exemptNamespaces: [kube-system]}
input: fields
`
	// The same policy and settings, as a process plugin: at most 2 calls at once reach the
	// process, whose memory the kernel limits to 64 MiB past its start (host/process).
	noLatestProcessManifest = `name: no-latest
kind: ValidatingAdmission
abiVersion: "1.1"
mode: process
entry: no-latest
limits: {memoryMiB: 64, timeout: 1s, instances: 2}
failurePolicy: Fail
config: {exemptNamespaces: [kube-system]}
`
	defaultLabelManifest = `name: default-label
kind: MutatingAdmission
abiVersion: "1.2"
mode: wasm
entry: plugin.wasm
failurePolicy: Ignore
config: {key: team, value: unassigned}
input: fields
`
	denyMarkerManifest = `name: denymarker
kind: ValidatingAdmission
abiVersion: "1.0"
mode: wasm
entry: plugin.wasm
failurePolicy: Fail
`
	// ExamplesConfig is kapi-plugins.yaml. Authenticators are left to the flags
	// (--client-ca-file, --token-auth-file); system:masters is allowed before any authorizer.
	examplesConfig = `# The example plugins of sdk/examples, loaded from this directory:
#   apiserver --plugin-dir=_output/examples --plugin-config=_output/examples/kapi-plugins.yaml
# Authenticators come from the flags (this file states none).
apiVersion: kapi.dev/v1alpha1
kind: PluginConfiguration
authorizers:
- {name: ownerauthz, source: process}      # denies writes into a namespace another user owns
- {name: AlwaysAllow, source: builtin}
admission:
- {name: default-label, source: wasm}
- {name: no-latest, source: wasm}
`
)

// readsYAML spells an example's reads (its package's Reads) as a manifest's reads member.
func readsYAML(reads []string) string {
	var b strings.Builder
	b.WriteString("reads:  # the parts of each review the plugin is sent (abi/SPEC.md 2.1)\n")
	for _, r := range reads {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	return b.String()
}

func buildExamples(root, out string) error {
	wasmExamples := []struct{ name, pkg, manifest string }{
		{"no-latest", "sdk/examples/nolatest/wasm", noLatestManifest + readsYAML(nolatest.Reads)},
		{"default-label", "sdk/examples/defaultlabel/wasm", defaultLabelManifest + readsYAML(defaultlabel.Reads)},
	}
	for _, e := range wasmExamples {
		dir, err := folder(out, e.name, e.manifest)
		if err != nil {
			return err
		}
		if err := goBuild(root, e.pkg, filepath.Join(dir, "plugin.wasm"), true); err != nil {
			return err
		}
	}
	dir, err := folder(out, "no-latest-process", noLatestProcessManifest+readsYAML(nolatest.Reads))
	if err != nil {
		return err
	}
	if err := goBuild(root, "sdk/examples/nolatest/process", filepath.Join(dir, "no-latest"), false); err != nil {
		return err
	}
	manifest, err := os.ReadFile(filepath.Join(root, "sdk/examples/ownerauthz/manifest.yaml"))
	if err != nil {
		return err
	}
	dir, err = folder(out, "ownerauthz", string(manifest))
	if err != nil {
		return err
	}
	if err := goBuild(root, "sdk/examples/ownerauthz/process", filepath.Join(dir, "ownerauthz"), false); err != nil {
		return err
	}
	if tool, err := exec.LookPath("wat2wasm"); err == nil {
		dir, err := folder(out, "denymarker", denyMarkerManifest)
		if err != nil {
			return err
		}
		if msg, err := exec.Command(tool, filepath.Join(root, "sdk/examples/wat/denymarker.wat"), "-o", filepath.Join(dir, "plugin.wasm")).CombinedOutput(); err != nil {
			return fmt.Errorf("wat2wasm: %v\n%s", err, msg)
		}
	} else {
		fmt.Fprintln(os.Stderr, "build: wat2wasm not found (Debian package wabt): skipping the denymarker example")
	}
	return os.WriteFile(filepath.Join(out, "kapi-plugins.yaml"), []byte(examplesConfig), 0o644)
}

// builtins are the built-ins with a loadable form: folder, package under plugins/loadable,
// manifest kind, the resource they read through the host, and their reads (abi/SPEC.md 2.1).
var builtins = []struct {
	name, kind, resource string
	reads                []string
}{
	{"x509", "Authenticator", "", x509.Reads},
	{"tokenfile", "Authenticator", "", tokenfile.Reads},
	{"alwaysallow", "Authorizer", "", alwaysallow.Reads},
	{"alwaysdeny", "Authorizer", "", alwaysdeny.Reads},
	{"namespacelifecycle", "ValidatingAdmission", "namespaces", namespacelifecycle.Reads},
}

func builtinManifest(name, kind, mode, entry, resource string, reads []string) string {
	m := fmt.Sprintf("name: %s\nkind: %s\nabiVersion: \"1.1\"\nmode: %s\nentry: %s\nfailurePolicy: Fail\n", name, kind, mode, entry)
	if resource != "" {
		m += fmt.Sprintf("capabilities:\n  resources:\n  - {group: \"\", version: v1, resource: %s, verbs: [get, list]}\n", resource)
	}
	if len(reads) == 0 {
		return m + "reads: []  # nothing of the review is sent but its apiVersion and kind (abi/SPEC.md 2.1)\n"
	}
	return m + readsYAML(reads)
}

func buildBuiltins(root, out string) error {
	for _, b := range builtins {
		pkg := "plugins/loadable/" + b.name
		dir, err := folder(out, b.name+"-wasm", builtinManifest(b.name, b.kind, "wasm", "plugin.wasm", b.resource, b.reads))
		if err != nil {
			return err
		}
		if err := goBuild(root, pkg, filepath.Join(dir, "plugin.wasm"), true); err != nil {
			return err
		}
		dir, err = folder(out, b.name+"-process", builtinManifest(b.name, b.kind, "process", b.name, b.resource, b.reads))
		if err != nil {
			return err
		}
		if err := goBuild(root, pkg, filepath.Join(dir, b.name), false); err != nil {
			return err
		}
	}
	return nil
}
