// Package wat holds a kapi guest written in WebAssembly text (denymarker.wat), not Go, and the
// test that assembles it with wabt's wat2wasm and runs a case table against it and against a Go
// equivalent. There is no Go code to import here.
package wat
