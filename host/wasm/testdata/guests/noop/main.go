// Command noop is a benchmark guest: it allows every request without reading it, so a call to it
// measures the ABI's fixed cost (copy in, Go export entry, answer out).
package main

import (
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

type noop struct{}

func (noop) Provision(context.Context, []byte, abi.Host) error { return nil }
func (noop) Close() error                                      { return nil }

func (noop) ValidateRaw(context.Context, []byte) (abi.AdmissionResponse, error) {
	return abi.AdmissionResponse{Allowed: true}, nil
}

func init() { guest.Register(noop{}) }

func main() {}
