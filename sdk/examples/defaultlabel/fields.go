package defaultlabel

import (
	"context"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

// The indices of Reads, as a fields table's entries name them, and the number of reference
// tokens to the object, its metadata and its labels.
const (
	readOperation = iota
	readSubResource
	readLabels

	objectTokens   = 2
	metadataTokens = 3
)

// Reads returns the package's Reads, the manifest's reads a fields table is made of.
func (p *Plugin) Reads() []string { return Reads }

// AdmitFields is Admit over the review's fields table (guest.FieldsMutator): the host sends the
// operation, the subresource and the labels, and markers for the object and its metadata when
// they are there, so the guest scans no JSON but the labels. It does not echo the request's uid:
// the host fills it in (abi/SPEC.md section 2).
func (p *Plugin) AdmitFields(_ context.Context, f *guest.Fields) (abi.AdmissionResponse, error) {
	var operation, subResource string
	object := false
	state := noMetadata
	var err error
	for f.Next() {
		switch read := f.Read(); {
		case read == readOperation && f.Whole():
			operation, _ = f.Text()
		case read == readSubResource && f.Whole():
			subResource, _ = f.Text()
		case read != readLabels, f.Tokens() < objectTokens:
		case f.Tokens() == objectTokens: // the object: its marker, or a value that is not an object
			object = true
			if !f.Marker() && string(f.Value()) != "null" {
				err = errNotObject
			}
		case f.Tokens() == metadataTokens: // likewise the metadata
			switch {
			case f.Marker():
				state = noLabels
			case string(f.Value()) != "null":
				err = errors.New("metadata is not a JSON object")
			}
		default: // the labels
			if string(f.Value()) != "null" {
				state, err = p.labelState(f.Value())
			}
		}
	}
	if !applies(operation, subResource, object) {
		return abi.AdmissionResponse{Allowed: true}, nil
	}
	if err != nil {
		return abi.AdmissionResponse{}, fmt.Errorf("decoding object: %w", err)
	}
	return p.answer("", state), nil
}

var errNotObject = errors.New("not a JSON object")
