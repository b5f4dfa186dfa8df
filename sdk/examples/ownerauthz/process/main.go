// Command ownerauthz serves the ownerauthz authorizer as a kapi process plugin. Build it with
// `go build`, put the executable beside manifest.yaml in a folder of the plugin directory (see
// ../README.md).
package main

import (
	"github.com/kapi-dev/kapi/sdk/examples/ownerauthz"
	"github.com/kapi-dev/kapi/sdk/process"
)

func main() {
	process.Serve(&ownerauthz.Plugin{})
}
