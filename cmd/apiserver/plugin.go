package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/plugins"
)

// runPlugin is `apiserver plugin inspect FILE` and `apiserver plugin test PLUGIN --cases DIR`.
func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const usage = "usage: apiserver plugin inspect FILE | apiserver plugin test PLUGIN --cases DIR"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "inspect":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: apiserver plugin inspect FILE (a .wasm module, a plugin folder or its manifest)")
			return 2
		}
		return inspectPlugin(ctx, args[1], stdout, stderr)
	case "test":
		fs := flag.NewFlagSet("plugin test", flag.ContinueOnError)
		fs.SetOutput(stderr)
		cases := fs.String("cases", "", "directory of *.json cases: {\"review\": {...}, \"objects\": [...], \"expect\": {...}}")
		if len(args) < 2 {
			fmt.Fprintln(stderr, "usage: apiserver plugin test PLUGIN --cases DIR")
			return 2
		}
		if err := fs.Parse(args[2:]); err != nil {
			return 2
		}
		if *cases == "" || fs.NArg() != 0 {
			fmt.Fprintln(stderr, "usage: apiserver plugin test PLUGIN --cases DIR")
			return 2
		}
		return testPlugin(ctx, args[1], *cases, stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

// inspectPlugin prints what a module or a plugin folder declares, and its problems. It exits 1
// when it finds a problem.
func inspectPlugin(ctx context.Context, path string, stdout, stderr io.Writer) int {
	fi, err := os.Stat(path)
	if err != nil {
		return fail(stderr, err)
	}
	var man *pluginapi.Manifest
	module := path
	if fi.IsDir() || strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".json") {
		dir, file := path, filepath.Join(path, plugins.ManifestFile)
		if !fi.IsDir() {
			dir, file = filepath.Dir(path), path
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fail(stderr, err)
		}
		man, err = pluginapi.DecodeManifest(data)
		if err != nil {
			fmt.Fprintf(stdout, "manifest %s: problem: %v\n", file, err)
			return 1
		}
		fmt.Fprintf(stdout, "manifest:    %s\nname:        %s\nkind:        %s\nabiVersion:  %s\nmode:        %s\nentry:       %s\nfailure:     %s\n",
			file, man.Name, man.Kind, man.ABIVersion, man.Mode, man.Entry, man.FailurePolicy)
		for _, r := range man.Capabilities.Resources {
			fmt.Fprintf(stdout, "resource:    %s/%s %s (%s)\n", r.Group, r.Version, r.Resource, strings.Join(r.Verbs, ","))
		}
		for _, h := range man.Capabilities.Hosts {
			fmt.Fprintf(stdout, "http:        %s\n", h)
		}
		for _, r := range man.Rules {
			fmt.Fprintf(stdout, "called on:   %s %s/%s %s (scope %s)\n", strings.Join(r.Operations, ","), strings.Join(r.APIGroups, ","),
				strings.Join(r.APIVersions, ","), strings.Join(r.Resources, ","), cmp.Or(r.Scope, "*"))
		}
		switch {
		case man.Input == pluginapi.InputFields:
			fmt.Fprintf(stdout, "sent:        the values of %s (input: fields)\n", strings.Join(man.Reads, " "))
		case man.Reads == nil:
			fmt.Fprintf(stdout, "sent:        whole reviews\n")
		case len(man.Reads) == 0:
			fmt.Fprintf(stdout, "sent:        apiVersion and kind only (reads: [])\n")
		default:
			fmt.Fprintf(stdout, "sent:        %s\n", strings.Join(man.Reads, " "))
		}
		module = filepath.Join(dir, man.Entry)
		if _, err := os.Stat(module); err != nil {
			fmt.Fprintf(stdout, "problem: entry %s: %v\n", man.Entry, err)
			return 1
		}
		if man.Mode != pluginapi.ModeWasm {
			fmt.Fprintf(stdout, "ok\n")
			return 0
		}
	}
	info, err := inspectModule(ctx, module)
	if err != nil {
		fmt.Fprintf(stdout, "module %s: problem: %v\n", module, err)
		return 1
	}
	fmt.Fprintf(stdout, "module:      %s\nabiVersion:  %s (declared by %s)\nkinds:       %s\n", module, info.abiVersion, abi.ExportABIVersion, strings.Join(info.kinds, ", "))
	fmt.Fprintln(stdout, "exports:")
	for _, e := range info.exports {
		fmt.Fprintf(stdout, "  %s\n", e)
	}
	fmt.Fprintln(stdout, "imports:")
	for _, i := range info.imports {
		fmt.Fprintf(stdout, "  %s\n", i)
	}
	problems := info.problems
	if man != nil {
		found := false
		for _, k := range info.kinds {
			found = found || k == string(man.Kind)
		}
		if !found {
			problems = append(problems, fmt.Sprintf("the manifest's kind %s has no %s export", man.Kind, abi.CallExport(man.Kind)))
		}
	}
	for _, p := range problems {
		fmt.Fprintf(stdout, "problem: %s\n", p)
	}
	if len(problems) > 0 {
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}

type moduleInfo struct {
	abiVersion              string
	kinds, exports, imports []string
	problems                []string
}

// inspectModule compiles a module, lists its exports and imports, and asks it its ABI version
// (instantiated with WASI and inert host functions; nothing else of it runs).
func inspectModule(ctx context.Context, path string) (*moduleInfo, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compiling: %w", err)
	}
	info := &moduleInfo{}
	for name, f := range compiled.ExportedFunctions() {
		info.exports = append(info.exports, fmt.Sprintf("%s%s", name, signature(f)))
	}
	sort.Strings(info.exports)
	exports := compiled.ExportedFunctions()
	for _, k := range []abi.Kind{abi.KindAuthenticator, abi.KindAuthorizer, abi.KindMutatingAdmission, abi.KindValidatingAdmission} {
		if _, ok := exports[abi.CallExport(k)]; ok {
			info.kinds = append(info.kinds, string(k))
		}
	}
	if len(info.kinds) == 0 {
		info.problems = append(info.problems, "no call export (kapi_authenticate, kapi_authorize, kapi_admit, kapi_validate)")
	}
	for _, name := range []string{abi.ExportAlloc, abi.ExportFree} {
		if _, ok := exports[name]; !ok {
			info.problems = append(info.problems, "no "+name+" export")
		}
	}
	if _, ok := compiled.ExportedMemories()[abi.ExportMemory]; !ok {
		info.problems = append(info.problems, "no exported memory \"memory\"")
	}
	host := rt.NewHostModuleBuilder(abi.HostModule)
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		info.imports = append(info.imports, fmt.Sprintf("%s.%s%s", mod, name, signature(f)))
		switch mod {
		case abi.HostModule:
			results := len(f.ResultTypes())
			host.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
				for i := range results {
					stack[i] = 0
				}
			}), f.ParamTypes(), f.ResultTypes()).Export(name)
		case wasi_snapshot_preview1.ModuleName:
		default:
			info.problems = append(info.problems, fmt.Sprintf("imports %s.%s: only %q and %q are served", mod, name, abi.HostModule, wasi_snapshot_preview1.ModuleName))
		}
	}
	sort.Strings(info.imports)
	if _, ok := exports[abi.ExportABIVersion]; !ok {
		info.abiVersion = "none"
		info.problems = append(info.problems, "no "+abi.ExportABIVersion+" export: the ABI version is not declared")
		return info, nil
	}
	if len(info.problems) > 0 {
		info.abiVersion = "unknown (not instantiated)"
		return info, nil
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, err
	}
	if _, err := host.Instantiate(ctx); err != nil {
		return nil, err
	}
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiating: %w", err)
	}
	if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
		if _, err := init.Call(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", abi.ExportInitialize, err)
		}
	}
	res, err := mod.ExportedFunction(abi.ExportABIVersion).Call(ctx)
	if err != nil || len(res) != 1 {
		return nil, fmt.Errorf("%s: %v", abi.ExportABIVersion, err)
	}
	info.abiVersion = abi.UnpackVersion(uint32(res[0]))
	if err := abi.CheckVersion(info.abiVersion); err != nil {
		info.problems = append(info.problems, err.Error())
	}
	return info, nil
}

func signature(f api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = api.ValueTypeName(t)
		}
		return strings.Join(out, ", ")
	}
	s := "(" + names(f.ParamTypes()) + ")"
	if len(f.ResultTypes()) > 0 {
		s += " -> " + names(f.ResultTypes())
	}
	return s
}

// testCase is one file of `plugin test --cases DIR`.
type testCase struct {
	// Review is the whole TokenReview, SubjectAccessReview or AdmissionReview the plugin's kind
	// takes.
	Review json.RawMessage `json:"review"`
	// Objects are what the plugin's object reads find: Kubernetes objects; the resource is the
	// lower-cased kind plus "s" unless "resource" says otherwise.
	Objects []testObject `json:"objects,omitempty"`
	Expect  testExpect   `json:"expect"`
}

type testObject struct {
	Resource string          `json:"resource,omitempty"`
	Object   json.RawMessage `json:"object"`
}

// testExpect is the expected decision; unset fields are not checked.
type testExpect struct {
	// Allowed is admission's allowed, an authorizer's allowed, an authenticator's authenticated.
	Allowed *bool `json:"allowed,omitempty"`
	// Denied is an authorizer's denied.
	Denied   *bool  `json:"denied,omitempty"`
	Username string `json:"username,omitempty"`
	// Message must be contained in the status message (admission), reason (authz) or error (authn).
	Message string `json:"message,omitempty"`
	// Patch is the JSON patch a mutating plugin must answer, compared as JSON.
	Patch json.RawMessage `json:"patch,omitempty"`
	// Error must be contained in the call's error.
	Error string `json:"error,omitempty"`
}

// caseReader serves the current case's objects to the plugin.
type caseReader struct{ fixtures *pluginapi.FixtureReader }

func (r *caseReader) Get(ctx context.Context, res abi.GroupVersionResource, ns, name string) ([]byte, error) {
	return r.fixtures.Get(ctx, res, ns, name)
}

func (r *caseReader) List(ctx context.Context, res abi.GroupVersionResource, ns, sel string) ([]byte, error) {
	return r.fixtures.List(ctx, res, ns, sel)
}

// testPlugin runs every case of casesDir through the plugin folder dir, printing each decision;
// it exits 1 on a mismatch.
func testPlugin(ctx context.Context, dir, casesDir string, stdout, stderr io.Writer) int {
	man, err := plugins.ReadManifest(dir)
	if err != nil {
		return fail(stderr, fmt.Errorf("plugin %s: %w", dir, err))
	}
	files, err := filepath.Glob(filepath.Join(casesDir, "*.json"))
	if err != nil || len(files) == 0 {
		return fail(stderr, fmt.Errorf("--cases %s: no *.json files", casesDir))
	}
	sort.Strings(files)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail(stderr, err)
	}
	entry := plugins.Entry{Name: filepath.Base(abs), Source: plugins.Source(man.Mode)}
	cfg := &plugins.Configuration{APIVersion: plugins.APIVersion, Kind: plugins.Kind}
	switch man.Kind {
	case abi.KindAuthenticator:
		cfg.Authenticators = []plugins.Entry{entry}
	case abi.KindAuthorizer:
		cfg.Authorizers = []plugins.Entry{entry}
	default:
		cfg.Admission = []plugins.Entry{entry}
	}
	reader := &caseReader{fixtures: pluginapi.NewFixtureReader()}
	set, err := plugins.Load(ctx, cfg, plugins.Options{Dir: filepath.Dir(abs), Reader: reader,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return fail(stderr, err)
	}
	defer set.Close()
	failed := 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		problems, decision, err := runCase(ctx, set, man.Kind, reader, file)
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "ERROR %s: %v\n", name, err)
			failed++
		case len(problems) > 0:
			fmt.Fprintf(stdout, "FAIL  %s: %s: %s\n", name, decision, strings.Join(problems, "; "))
			failed++
		default:
			fmt.Fprintf(stdout, "PASS  %s: %s\n", name, decision)
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d failed\n", len(files), failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// runCase runs one case file; problems are its mismatches, decision the answer in words.
func runCase(ctx context.Context, set *plugins.Set, kind abi.Kind, reader *caseReader, file string) (problems []string, decision string, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c testCase
	if err := dec.Decode(&c); err != nil {
		return nil, "", fmt.Errorf("decoding: %w", err)
	}
	if len(c.Review) == 0 {
		return nil, "", errors.New("no review")
	}
	reader.fixtures = pluginapi.NewFixtureReader()
	for i, o := range c.Objects {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name, Namespace string
			} `json:"metadata"`
		}
		if err := json.Unmarshal(o.Object, &meta); err != nil {
			return nil, "", fmt.Errorf("objects[%d]: %w", i, err)
		}
		group, version, found := strings.Cut(meta.APIVersion, "/")
		if !found {
			group, version = "", meta.APIVersion
		}
		resource := o.Resource
		if resource == "" {
			resource = strings.ToLower(meta.Kind) + "s"
		}
		reader.fixtures.Put(abi.GroupVersionResource{Group: group, Version: version, Resource: resource}, meta.Metadata.Namespace, meta.Metadata.Name, o.Object)
	}
	var (
		allowed, denied   bool
		username, message string
		patch             []byte
		callErr           error
	)
	switch kind {
	case abi.KindAuthenticator:
		var r abi.TokenReview
		if err := json.Unmarshal(c.Review, &r); err != nil {
			return nil, "", fmt.Errorf("review: %w", err)
		}
		var st abi.TokenReviewStatus
		st, callErr = set.Chains().Authenticators[0].Authenticator.Authenticate(ctx, &r)
		allowed, username, message = st.Authenticated, st.User.Username, st.Error
		decision = fmt.Sprintf("authenticated=%v user=%q", allowed, username)
	case abi.KindAuthorizer:
		var r abi.SubjectAccessReview
		if err := json.Unmarshal(c.Review, &r); err != nil {
			return nil, "", fmt.Errorf("review: %w", err)
		}
		var st abi.SubjectAccessReviewStatus
		st, callErr = set.Chains().Authorizers[0].Authorizer.Authorize(ctx, &r)
		allowed, denied, message = st.Allowed, st.Denied, st.Reason
		decision = fmt.Sprintf("allowed=%v denied=%v reason=%q", allowed, denied, message)
	default:
		var r abi.AdmissionReview
		if err := json.Unmarshal(c.Review, &r); err != nil {
			return nil, "", fmt.Errorf("review: %w", err)
		}
		if r.Request == nil {
			return nil, "", errors.New("review: no request")
		}
		var resp abi.AdmissionResponse
		m := set.Chains().Admission[0]
		if m.Mutating != nil {
			resp, callErr = m.Mutating.Admit(ctx, &r)
		} else {
			resp, callErr = m.Validating.Validate(ctx, &r)
		}
		allowed, patch = resp.Allowed, resp.Patch
		if resp.Result != nil {
			message = resp.Result.Message
		}
		decision = fmt.Sprintf("allowed=%v", allowed)
		if message != "" {
			decision += fmt.Sprintf(" message=%q", message)
		}
		if len(patch) > 0 {
			decision += " patch=" + string(patch)
		}
	}
	want := c.Expect
	if callErr != nil {
		decision = "error: " + callErr.Error()
		if want.Error == "" || !strings.Contains(callErr.Error(), want.Error) {
			problems = append(problems, fmt.Sprintf("want no error%s", map[bool]string{true: "", false: " containing " + want.Error}[want.Error == ""]))
		}
		return problems, decision, nil
	}
	if want.Error != "" {
		problems = append(problems, fmt.Sprintf("want an error containing %q", want.Error))
	}
	if want.Allowed != nil && *want.Allowed != allowed {
		problems = append(problems, fmt.Sprintf("want allowed=%v", *want.Allowed))
	}
	if want.Denied != nil && *want.Denied != denied {
		problems = append(problems, fmt.Sprintf("want denied=%v", *want.Denied))
	}
	if want.Username != "" && want.Username != username {
		problems = append(problems, fmt.Sprintf("want user %q", want.Username))
	}
	if want.Message != "" && !strings.Contains(message, want.Message) {
		problems = append(problems, fmt.Sprintf("want a message containing %q", want.Message))
	}
	if len(want.Patch) > 0 && !sameJSON(want.Patch, patch) {
		problems = append(problems, fmt.Sprintf("want patch %s", want.Patch))
	}
	return problems, decision, nil
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}
