// Package examples holds example kapi plugins, each runnable natively and as a Wasm guest, each
// tested with one table of cases in every mode (sdk/pluginkit):
//
//   - nolatest: validating admission that rejects pods whose images have no tag or use :latest.
//   - defaultlabel: mutating admission that adds a default label with a JSON patch.
//   - wat: a validating guest written in WebAssembly text, not Go, assembled with wabt's wat2wasm,
//     to show the ABI is language-neutral.
//
// Examples import abi and sdk/guest only, as a plugin author's code would.
package examples
