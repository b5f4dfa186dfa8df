package nolatest

import (
	"context"
	"errors"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/guest"
)

// Reads returns the package's Reads, the manifest's reads a fields table is made of.
func (p *Plugin) Reads() []string { return Reads }

var (
	errNotObject    = errors.New("decoding pod: a container is not an object")
	errNotPodObject = errors.New("decoding pod: the object or its spec is not a JSON object")
)

// The number of reference tokens to a container list (request, object, spec, containers) and to
// one of its elements.
const (
	listTokens      = 4
	containerTokens = 5
)

// ValidateFields is Validate over the review's fields table (guest.FieldsValidator): the values
// of Reads, found by the host, so the guest scans no JSON. Each container starts with its marker
// (or, where it is not an object, with its value); its name and image follow, and it is checked
// when the next one starts or the table ends. Like ValidateRaw it allocates nothing for an
// allowed pod. A review without a request is not told apart from one the policy does not apply
// to: the host always sends one.
func (p *Plugin) ValidateFields(_ context.Context, f *guest.Fields) (abi.AdmissionResponse, error) {
	var rq request
	var floatingBuf [4]floatingContainer
	floating := floatingBuf[:0]
	var current floatingContainer
	var open bool
	var malformed error
	for f.Next() {
		read := f.Read()
		switch {
		case read < readInitName:
			s, _ := f.Text() // a marker, or a value of another type, reads as "", as in ValidateRaw
			switch read {
			case readGroup:
				rq.group = s
			case readResource:
				rq.resource = s
			case readSubResource:
				rq.subResource = s
			case readOperation:
				rq.operation = s
			case readNamespace:
				rq.namespace = s
			}
		case f.Tokens() == containerTokens && !f.Whole(): // a container starts
			if open && Floating(current.Image) {
				floating = append(floating, current)
			}
			current, open = floatingContainer{init: read < readName}, true
			if !f.Marker() && string(f.Value()) != "null" { // null decodes as an empty container
				malformed = errNotObject
			}
		case f.Marker():
		case !f.Whole(): // the path stopped before the containers: null is none
			if string(f.Value()) != "null" {
				malformed = errNotPodObject
				if f.Tokens() == listTokens {
					malformed = errNotArray
				}
			}
		case read == readName || read == readInitName:
			current.Name, _ = f.Text()
		default:
			current.Image, _ = f.Text()
		}
	}
	if open && Floating(current.Image) {
		floating = append(floating, current)
	}
	return p.judge(rq, floating, malformed)
}
