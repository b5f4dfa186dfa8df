// Package wasm runs kapi plugins compiled to WebAssembly, with wazero, behind the same abi
// interfaces the built-ins implement. It implements the host side of abi/SPEC.md section 3.
//
// A Runtime holds what plugins share: the on-disk compilation cache and the metrics. Load
// compiles one module (once; a restart finds it in the cache), checks its exports and ABI
// version, and makes a pool of instances; a call takes an instance, writes the request into guest
// memory once, calls the export, copies the answer out and gives the instance back. A guest gets
// no filesystem, network or environment, a memory cap, and a per-call deadline that stops it.
//
// wasm imports abi, host/pluginapi, wazero and the standard library; it must not import the
// server's chain, registry or storage (the server hands it an abi.Host).
//
// # Rationale
//
// Why one wazero.Runtime per plugin? A manifest's memory limit is per plugin, and wazero sets the
// limit per runtime; the host module ("kapi") is also bound to the plugin's abi.Host. What is
// costly, compilation, is shared through one CompilationCache across the runtimes.
//
// Why a pool of instances and not one instance per call? Instantiating a Go guest runs its runtime
// initialisation (milliseconds); a pooled call is a copy and a function call (microseconds). A
// guest instance is single-threaded, so the pool size is the plugin's concurrency.
//
// How does a deadline stop a guest spinning in a loop? wazero's WithCloseOnContextDone makes
// compiled code check for closing at every loop head, but the check is an exit from machine code
// into Go: measured on a Pod AdmissionReview with a Go guest it made calls about six times slower
// (0.5 ms to 3 ms). So Load first rewrites the module (interrupt.go): one more mutable global,
// kapi_interrupt, a counter local in every function, and at every loop head a count that every
// 65536 iterations checks the global (trapping with unreachable when it is set) and yields to Go
// with memory.grow(0). When a call's deadline passes, or its caller's context ends, the runtime's
// watchdog (watchdog.go, looking at every call each 10 ms) sets the global; its WASI sleeps end
// early too. The yield is needed because machine code is not preemptible: a guest
// that never left it would hold off a stop-the-world collection, and with it the goroutine that
// is to set the interrupt (a deadlock the first version of this code had). The count costs
// little: with the SDK's one-pass reader, nolatest on the 4 KB Pod review took a median of
// 36-37 µs instrumented against 34 µs uninstrumented in paired runs (as much as the noise of this
// machine), against 6x with WithCloseOnContextDone. A module the rewriter cannot read (an
// instruction it does not know, such as SIMD) falls back to WithCloseOnContextDone, logged at
// load. Either way a stopped or trapped instance may hold broken state, so it is never reused: its
// slot is refilled by a fresh instance on the next call that takes it.
//
// Why the lazy JSON reader in sdk/guest? In a Go guest, encoding/json's reflection costs about ten
// times what it costs natively; decoding a whole 4 KB review took ~0.5 ms. A policy that reads the
// review's bytes with a guest.Query pays for one scanning pass only (see BenchmarkAdmitPod).
//
// Why does a call allocate once on the host? The fixed cost of a call was 6-7 µs and 22
// allocations, half of it decoding the answer with encoding/json and most of the rest a
// context.WithTimeout, a context.AfterFunc and a context.WithValue per call. Now a call notes its
// deadline for the watchdog (a per-instance timer and AfterFunc did, until their shared locks
// showed in the three-plugin server profile), host functions find their instance by module, and
// pluginapi reads the
// SDK's usual answers by exact template (anything else still goes to encoding/json); the guest
// reuses its request and answer buffers, so kapi_alloc does not allocate either. What is left is
// the answer's copy (BenchmarkCallOverhead: about 1 µs median). The request still takes two export
// calls (kapi_alloc, then the call export); saving one with an ABI 1.1 guest-side input buffer
// was not tried: it could save at most part of the ~1 µs a whole do-nothing call now costs.
//
// Why do host functions return results in two steps (SPEC.md 3.5)? The alternative, the host
// calling kapi_alloc from inside a host function, re-enters a guest that is in the middle of an
// export call, which Go's wasip1 port (and other guest runtimes) do not promise to support.
package wasm
