// Command process is the nolatest policy as a kapi process plugin, the same Plugin the Wasm
// guest registers, served over go-plugin:
//
//	go build -o no-latest .
//
// Put the executable beside a manifest with mode: process and entry: no-latest (see ../README.md).
package main

import (
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/process"
)

func main() {
	process.Serve(&nolatest.Plugin{})
}
