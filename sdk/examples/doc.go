// Package examples holds example kapi plugins, each runnable natively and loaded (as a Wasm guest
// or a plugin process), each tested with one table of cases in every mode it has (sdk/pluginkit):
//
//   - nolatest: validating admission that rejects pods whose images have no tag or use :latest.
//   - defaultlabel: mutating admission that adds a default label with a JSON patch.
//   - ownerauthz: an out-of-process authorizer: a user may write only in namespaces labelled
//     owner=<their name>, read through the host's object service.
//   - wat: a validating guest written in WebAssembly text, not Go, assembled with wabt's wat2wasm,
//     to show the ABI is language-neutral.
//
// Examples import abi and sdk/guest or sdk/process only, as a plugin author's code would.
package examples
