# kapi's two everyday commands are `make run` and `make test`.

GO        ?= go
BIN       := _output/bin/apiserver
DATA_DIR  ?= .kapi-data
RUN_ARGS  ?=

.PHONY: build run test bench examples clean

# build compiles the server binary.
build:
	$(GO) build -o $(BIN) ./cmd/apiserver

# run starts a development server: embedded etcd and dev certificates under $(DATA_DIR), and an
# admin kubeconfig at $(DATA_DIR)/admin.kubeconfig (the server prints how to use it).
run: build
	./$(BIN) --data-dir $(DATA_DIR) $(RUN_ARGS)

# test runs every package's tests, the e2e suite included (it builds the binary itself and drives
# it with kubectl and client-go).
test:
	$(GO) test -timeout 40m ./...

# bench runs the Go benchmarks next to the code, then the end-to-end load benchmark against the
# real binary.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 40m ./...
	$(GO) run ./e2e/loadbench

# examples builds the example plugins as Wasm modules into _output/examples: every Go guest under
# sdk/examples/*/wasm (GOOS=wasip1, c-shared for //go:wasmexport) and every WebAssembly text guest
# under sdk/examples/wat (wabt's wat2wasm).
examples:
	mkdir -p _output/examples
	for dir in sdk/examples/*/wasm; do \
		ls $$dir/*.go >/dev/null 2>&1 || continue; \
		name=$$(basename $$(dirname $$dir)); \
		(cd $$dir && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(GO) build -buildmode=c-shared -o $(CURDIR)/_output/examples/$$name.wasm .) || exit 1; \
	done
	for wat in $$(find sdk/examples/wat -name '*.wat'); do \
		wat2wasm $$wat -o _output/examples/$$(basename $$wat .wat).wasm || exit 1; \
	done

clean:
	rm -rf _output $(DATA_DIR)
