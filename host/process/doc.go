// Package process runs kapi plugins as separate processes, with hashicorp/go-plugin, behind the
// same abi interfaces the built-ins implement. It implements the host side of abi/SPEC.md section
// 5; the plugin side is sdk/process, whose wire.go spells the contract's names once for both.
//
// Load starts the plugin's executable (no environment; SIGKILLed by the kernel if the server
// dies), completes go-plugin's handshake (magic cookie, protocol version = ABI major, gRPC only,
// AutoMTLS), serves the plugin's abi.Host back to it as the gRPC service kapi.abi.v1.Host over
// go-plugin's broker, and provisions it. A call is one unary gRPC call on the process's one
// long-lived connection, under the manifest's limits.timeout, once one of its limits.instances
// slots is free (see Limits below). The process is supervised: a call
// that finds it dead, or the periodic health check, starts a restart with backoff (100ms doubling
// to 10s by default); the call that found it dead fails, and pluginapi.WithFailurePolicy turns the
// failure into the manifest's Fail or Ignore answer.
//
// process imports abi, host/pluginapi, sdk/process (the contract's names), go-plugin, gRPC,
// golang.org/x/sys/unix and the standard library; it must not import the server's chain, registry
// or storage (the server hands it an abi.Host).
//
// # Limits
//
// limits.instances is how many calls are let through to the process at once (a semaphore in the
// host; the process itself may serve any number). A call that finds every slot taken waits
// within its deadline; at the deadline it fails as a timeout ("no free instance"), and the
// failure policy answers. kapi_plugin_instances_busy{plugin} is the number of slots taken.
//
// limits.memoryMiB is a hard limit the kernel enforces on the process (Linux): right after the
// handshake, before Provision, the host sets the process's RLIMIT_DATA (prlimit) to its VmData at
// that moment plus memoryMiB. RLIMIT_DATA counts private writable mappings, touched or not, and a
// Go runtime maps some 70 MiB at start that it never touches (its heap index and page
// summaries), so the start is measured rather than the limit set absolute; RLIMIT_AS is useless
// for Go, which reserves more than a GiB of address space. A mapping past the limit fails: a Go
// runtime dies "fatal error: runtime: out of memory", the call in flight fails as a trap, and the
// process is restarted as after any crash. The process also gets GOMEMLIMIT=<memoryMiB>MiB, a
// soft limit that makes the Go collector work to stay under it first. With cgo every OS thread's
// stack is an 8 MiB mapping that counts against the limit, so Go plugins are best built with
// CGO_ENABLED=0 (sdk/examples/build does). Off Linux, only GOMEMLIMIT applies.
//
// # Rationale
//
// Why no .proto file? Every message is Bytes { bytes data = 1; }, which has the wire form of
// google.protobuf.BytesValue; the services are hand-written grpc.ServiceDescs over
// wrapperspb.BytesValue (see sdk/process).
//
// Why does a timeout not restart the process? The call's context is cancelled on both sides and
// other calls go on concurrently on the same connection; a process that is wedged as a whole fails
// its health check (go-plugin's gRPC health service, with a deadline) and is restarted then.
//
// Why do calls wait for a restart in progress? A restart costs one exec and one handshake
// (milliseconds), far less than a deadline, so a call arriving during it is served rather than
// failed. When the last restart attempt failed (a broken executable), or the backoff outlasts a
// call's deadline (a plugin crashing in a loop), calls fail at once instead of each waiting out its
// deadline.
//
// Why the plugin's stdout and stderr at info? Before go-plugin's Serve the plugin's stdout must
// hold nothing but the handshake line (anything else fails the load, with a message saying so);
// after it, go-plugin carries os.Stdout and os.Stderr over its stdio stream and they are logged
// line by line, tagged with the plugin's name. Raw writes to the process's file descriptors go to
// go-plugin's own readers (stderr logged, stdout drained), so garbage there never reaches a call.
package process
