// Command panic is a robustness test guest: a request whose object contains "boom" panics (in a
// Go guest a panic ends the instance); any other request is allowed.
package main

import (
	"bytes"
	"context"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

type panicky struct{}

func (panicky) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if bytes.Contains(r.Request.Object, []byte("boom")) {
		panic("boom")
	}
	return abi.AdmissionResponse{UID: r.Request.UID, Allowed: true}, nil
}

func init() { guest.RegisterValidatingAdmission(panicky{}) }

func main() {}
