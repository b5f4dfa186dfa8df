package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// admissionChains are the Wasm admission plugins of -plugins=N, in chain order: the example
// guests of sdk/examples, and a second copy of no-latest under another name so that three Go
// guests run (each call is a real Go guest reading the review, not WAT's byte scan).
var admissionChains = map[int][]string{
	0: nil,
	1: {"no-latest"},
	3: {"default-label", "no-latest", "no-latest-2"},
}

// pluginArgs builds the example plugins into dir and returns the apiserver flags that load the
// first n of admissionChains[n] as Wasm admission plugins; none for n = 0. asThird makes
// no-latest-2 the AssemblyScript guest, sent JSON (it reads no fields table).
func pluginArgs(ctx context.Context, dir string, n int, asThird bool) ([]string, error) {
	chain, ok := admissionChains[n]
	if !ok {
		return nil, fmt.Errorf("-plugins=%d: want 0, 1 or 3", n)
	}
	if n == 0 {
		return nil, nil
	}
	build := exec.CommandContext(ctx, "go", "run", "./sdk/examples/build", "-examples", dir)
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the example plugins: %v\n%s", err, out)
	}
	if err := copyPlugin(dir, "no-latest", "no-latest-2"); err != nil {
		return nil, err
	}
	if asThird {
		if err := useASGuest(ctx, filepath.Join(dir, "no-latest-2")); err != nil {
			return nil, err
		}
	}
	var cfg strings.Builder
	cfg.WriteString("apiVersion: kapi.dev/v1alpha1\nkind: PluginConfiguration\nadmission:\n")
	for _, name := range chain {
		fmt.Fprintf(&cfg, "- {name: %s, source: wasm}\n", name)
	}
	path := filepath.Join(dir, "loadbench-plugins.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
		return nil, err
	}
	return []string{"--plugin-dir=" + dir, "--plugin-config=" + path}, nil
}

// copyPlugin copies the plugin folder from to a folder to whose manifest names it to.
func copyPlugin(dir, from, to string) error {
	manifest, err := os.ReadFile(filepath.Join(dir, from, "manifest.yaml"))
	if err != nil {
		return err
	}
	module, err := os.ReadFile(filepath.Join(dir, from, "plugin.wasm"))
	if err != nil {
		return err
	}
	manifest = bytes.Replace(manifest, []byte("name: "+from+"\n"), []byte("name: "+to+"\n"), 1)
	if err := os.MkdirAll(filepath.Join(dir, to), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, to, "manifest.yaml"), manifest, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, to, "plugin.wasm"), module, 0o644)
}

// useASGuest replaces the module of the plugin folder dir with the AssemblyScript no-latest,
// compiled with the guest's pinned compiler, and has its manifest send JSON.
func useASGuest(ctx context.Context, dir string) error {
	src := filepath.Join(moduleRoot(), "sdk", "examples", "nolatest", "as")
	for _, args := range [][]string{
		{"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"},
		{"npx", "asc", "assembly/index.ts", "--config", "asconfig.json", "--target", "release", "--outFile", filepath.Join(dir, "plugin.wasm")},
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the AssemblyScript no-latest (%s): %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	path := filepath.Join(dir, "manifest.yaml")
	manifest, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, bytes.Replace(manifest, []byte("input: fields\n"), nil, 1), 0o644)
}

// moduleRoot is the directory of the go.mod above the working directory ("." if none).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// pluginCalls sums the server's kapi_plugin_calls_total by plugin, to show that the plugins of
// -plugins were called on the creates.
func pluginCalls(ctx context.Context, config *rest.Config) (map[string]float64, error) {
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, config.Host+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics answered %s", resp.Status)
	}
	calls := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "kapi_plugin_calls_total{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, "kapi_plugin_calls_total{"), "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		name := ""
		for _, l := range strings.Split(labels, ",") {
			if k, val, ok := strings.Cut(l, "="); ok && k == "plugin" {
				name = strings.Trim(val, `"`)
			}
		}
		calls[name] += v
	}
	return calls, sc.Err()
}
