package nolatest

// Reads are the parts of a review the policy reads, for its manifest's reads (abi/SPEC.md
// section 2.1): as a Wasm guest or a process it is sent only these, about 370 bytes of a typical
// Pod's 4 KB review. They are the paths of ValidateRaw's query, less the request's uid, which
// every projection keeps.
var Reads = []string{
	"/request/resource",
	"/request/subResource",
	"/request/operation",
	"/request/namespace",
	"/request/object/spec/initContainers/*/name",
	"/request/object/spec/initContainers/*/image",
	"/request/object/spec/containers/*/name",
	"/request/object/spec/containers/*/image",
}
