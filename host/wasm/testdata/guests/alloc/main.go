// Command alloc is a robustness test guest: a request whose object contains "boom" allocates
// far past any memory limit a test sets; any other request is allowed.
package main

import (
	"bytes"
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

type alloc struct{}

var hoard [][]byte

func (alloc) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if bytes.Contains(r.Request.Object, []byte("boom")) {
		for range 1024 {
			b := make([]byte, 1<<20)
			b[0] = 1
			hoard = append(hoard, b)
		}
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func init() { guest.RegisterValidatingAdmission(alloc{}) }

func main() {}
