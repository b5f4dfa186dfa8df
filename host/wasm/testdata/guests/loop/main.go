// Command loop is a robustness test guest: a request whose object contains "boom" spins forever,
// so only the call's deadline can stop it; any other request is allowed.
package main

import (
	"bytes"
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

type loop struct{}

var sink int

func (loop) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if bytes.Contains(r.Request.Object, []byte("boom")) {
		for i := 0; ; i++ {
			sink = i
		}
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func init() { guest.RegisterValidatingAdmission(loop{}) }

func main() {}
