// Package process is the plugin side of kapi's process plugins (abi/SPEC.md section 5): a plugin
// author writes an ordinary Go value implementing abi.Plugin and its kind's interface, and its main
// calls Serve. Serve speaks go-plugin's handshake, serves the gRPC service kapi.abi.v1.Plugin,
// turns the broker ID that Provision carries into an abi.Host whose calls (GetObject, HTTP ...)
// travel back to the server over go-plugin's broker, and answers a Go error as the SPEC's error
// envelope. It also spells the process contract's names and encodings once (wire.go), for the
// host runtime, host/process, to import.
//
// process imports abi, go-plugin, gRPC and protobuf's wrapper types; it must not import anything
// of the server (host/...), since plugins never do.
//
// # Rationale
//
// Why no .proto file and no protoc? Every message of the contract is `Bytes { bytes data = 1; }`
// carrying the JSON of SPEC.md section 2. That message has exactly the wire form of
// google.protobuf.BytesValue (field 1, length-delimited bytes), so both sides use
// wrapperspb.BytesValue with gRPC's default codec and a hand-written grpc.ServiceDesc. A plugin in
// another language declares the two services with its own Bytes message (or BytesValue) and
// interoperates byte for byte; there is no generated code to keep in step.
//
// Why does a plugin also watch its parent? The host starts each process with Pdeathsig, so the
// kernel kills it when the server dies, even by SIGKILL. Pdeathsig follows the thread that forked,
// not the process, and exists only on Linux; checking every 500ms whether the parent changed
// (os.Getppid) is the backstop that leaves no orphan either way.
//
// Why recover panics in calls? A panicking call answers gRPC Internal, which the host counts as a
// trap of that one call; the process and its other calls in flight go on. A plugin whose state a
// panic may have broken should exit instead (os.Exit); the host restarts it.
package process
