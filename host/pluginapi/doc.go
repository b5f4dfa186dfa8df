// Package pluginapi is what the Wasm and process plugin runtimes share: the plugin manifest and
// its strict decoding, the Caller that encodes a call's review and decodes the plugin's answer
// envelope around a runtime's transport, the failure policy that turns a failed call into the
// neutral or the failing answer, the host services (abi.Host) that enforce a manifest's
// capabilities, the per-plugin metrics, and the LineWriter that logs a plugin's stdout and stderr.
//
// It imports abi and third-party libraries only; it must not import the runtimes (host/wasm, the
// process runtime) nor the server's chain, which import it.
//
// # Rationale
//
// Why one failure-policy wrapper and not one per runtime? A trap, a timeout, a dead process and a
// plugin's own error must all end the same way for the same manifest; keeping the policy (and the
// metrics that count it) outside the runtimes makes that true by construction, and lets a runtime
// report failures as a *CallError with a reason and nothing more.
//
// Why does the Caller sit above the runtimes' transports rather than in each? The request
// encoding and the answer envelope (abi/SPEC.md section 2) are the same contract whatever carries
// the bytes; with one decoder a Wasm guest and a plugin process that send the same answer get the
// same result and the same error, and a runtime is left with moving bytes (its RoundTrip) and
// classifying its own failures.
package pluginapi
