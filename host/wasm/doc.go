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
// Why does the deadline close the instance? wazero's WithCloseOnContextDone makes compiled code
// check the context at function entries and loop back-edges; when the deadline passes, the
// instance is closed with an exit error, which is the only way to stop a guest spinning in a loop.
// A closed (or trapped) instance may hold broken state, so it is never reused: its slot is refilled
// by a fresh instance on the next call that takes it.
//
// Why do host functions return results in two steps (SPEC.md 3.5)? The alternative, the host
// calling kapi_alloc from inside a host function, re-enters a guest that is in the middle of an
// export call, which Go's wasip1 port (and other guest runtimes) do not promise to support.
package wasm
