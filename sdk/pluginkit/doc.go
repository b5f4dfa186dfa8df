// Package pluginkit tests a plugin the same way in every mode: one table of cases, run against
// the plugin as a native Go value, as a Wasm module loaded by host/wasm, and as a plugin process
// loaded by host/process. Equivalence across modes is what "every built-in is also loadable"
// means, and this kit is how each plugin proves it.
//
// A Mode is a small adapter that starts the plugin and hands back an abi.Plugin; adding a mode
// is writing one more Mode, nothing else.
//
// pluginkit is test support: it imports testing, abi, host/pluginapi, host/wasm and host/process,
// and must not be imported by non-test code of the server.
package pluginkit
