// Package abi is kapi's stable plugin contract, ABI version 1: the Go interfaces every
// authenticator, authorizer and admission plugin implements, and the wire messages that cross the
// boundary to a Wasm guest or a plugin process. SPEC.md beside this file is the normative text.
//
// abi imports only the standard library, so that plugin guests compiled for GOOS=wasip1 can import
// it, and so that nothing of the server leaks into the contract. It must never import another kapi
// package or a third-party module.
package abi
