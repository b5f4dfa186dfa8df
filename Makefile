# kapi's two everyday commands are `make run` and `make test`.

GO        ?= go
BIN       := _output/bin/apiserver
DATA_DIR  ?= .kapi-data
RUN_ARGS  ?=

.PHONY: build run test bench examples plugins clean

# build compiles the server binary.
build:
	$(GO) build -o $(BIN) ./cmd/apiserver

# run starts a development server: embedded etcd and dev certificates under $(DATA_DIR), and an
# admin kubeconfig at $(DATA_DIR)/admin.kubeconfig (the server prints how to use it).
run: build
	./$(BIN) --data-dir $(DATA_DIR) $(RUN_ARGS)

# test runs every package's tests, the e2e suite included (it builds the binary itself and drives
# it with kubectl and client-go). -count=1: several tests build binaries and Wasm guests in a
# subprocess, which go test's result cache cannot see, so a cached pass could be stale.
test:
	$(GO) test -count=1 -timeout 40m ./...

# bench runs the Go microbenchmarks of every package that has some (BENCHTIME each), then the
# end-to-end load benchmark against the real binary (LOADBENCH_ARGS, e.g.
# "-cpuprofile=cpu.pprof -profile-phase=list"; see docs/benchmarks.md).
BENCHTIME      ?= 300ms
LOADBENCH_ARGS ?=
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME) -timeout 20m \
		$$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
	$(GO) run ./e2e/loadbench $(LOADBENCH_ARGS)

# examples builds sdk/examples into _output/examples as a ready plugin directory (no-latest and
# default-label as Wasm guests, ownerauthz as a process plugin, denymarker from WebAssembly text
# with wabt's wat2wasm), with kapi-plugins.yaml enabling them:
#   ./_output/bin/apiserver --plugin-dir=_output/examples --plugin-config=_output/examples/kapi-plugins.yaml
examples:
	$(GO) run ./sdk/examples/build -examples _output/examples

# plugins builds every built-in in both loadable forms: _output/plugins/<name>-wasm (plugin.wasm)
# and _output/plugins/<name>-process (the executable), each with its manifest.
plugins:
	$(GO) run ./sdk/examples/build -plugins _output/plugins

clean:
	rm -rf _output $(DATA_DIR)
