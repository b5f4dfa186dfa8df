package nolatest

// Reads are the parts of a review the policy reads, for its manifest's reads (abi/SPEC.md
// section 2.1): as a Wasm guest or a process it is sent only these, about 370 bytes of a typical
// Pod's 4 KB review, or, as a Wasm guest whose manifest says input: fields (section 2.2), only
// their values. They are the paths of ValidateRaw's query, less the request's uid, which every
// projection keeps; ValidateFields names them by their index (the read constants).
var Reads = []string{
	readGroup:       "/request/resource/group",
	readResource:    "/request/resource/resource",
	readSubResource: "/request/subResource",
	readOperation:   "/request/operation",
	readNamespace:   "/request/namespace",
	readInitName:    "/request/object/spec/initContainers/*/name",
	readInitImage:   "/request/object/spec/initContainers/*/image",
	readName:        "/request/object/spec/containers/*/name",
	readImage:       "/request/object/spec/containers/*/image",
}

// The indices of Reads, as a fields table's entries name them.
const (
	readGroup = iota
	readResource
	readSubResource
	readOperation
	readNamespace
	readInitName
	readInitImage
	readName
	readImage
)
