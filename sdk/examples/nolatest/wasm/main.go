// Command wasm is the nolatest policy as a Wasm guest:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o nolatest.wasm .
package main

import (
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/guest"
)

func init() { guest.Register(&nolatest.Plugin{}) }

func main() {}
