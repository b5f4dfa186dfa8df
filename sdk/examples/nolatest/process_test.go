package nolatest_test

import (
	"testing"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/examples/nolatest"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// TestNoLatestProcess runs the same case table natively and as a process plugin (./process, built
// into a temporary directory) sent the projection of nolatest.Reads, as make examples' manifest
// declares, so no-latest answers alike in every mode it has.
func TestNoLatestProcess(t *testing.T) {
	spec := pluginkit.Spec{Name: "no-latest", Kind: abi.KindValidatingAdmission, Config: `{"exemptNamespaces":["kube-system"]}`}
	withReads := spec
	withReads.Reads = nolatest.Reads
	pluginkit.Run(t, cases(), pluginkit.Native(spec, &nolatest.Plugin{}), pluginkit.Process(withReads, "./process"))
}
