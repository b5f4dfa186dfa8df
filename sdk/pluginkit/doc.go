// Package pluginkit tests a plugin the same way in every mode: one table of cases, run against
// the plugin as a native Go value, as a Wasm module loaded by host/wasm, and (once the process
// runtime exists) as a plugin process. Equivalence across modes is what "every built-in is also
// loadable" means, and this kit is how each plugin proves it.
//
// A Mode is a small adapter that starts the plugin and hands back an abi.Plugin; adding a mode
// (the process mode, say) is writing one more Mode, nothing else.
//
// pluginkit is test support: it imports testing, abi, host/pluginapi and host/wasm, and must not
// be imported by non-test code of the server.
package pluginkit
