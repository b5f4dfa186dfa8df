// Command wasm is the defaultlabel policy as a Wasm guest:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o defaultlabel.wasm .
package main

import (
	"github.com/kapi-dev/kapi/sdk/examples/defaultlabel"
	"github.com/kapi-dev/kapi/sdk/guest"
)

func init() { guest.Register(&defaultlabel.Plugin{}) }

func main() {}
