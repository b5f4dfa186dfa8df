package openapi

import (
	"sort"
	"strconv"
	"strings"
)

// mediaRange is one clause of an Accept header.
type mediaRange struct {
	typ, subtype string
	q            float64
}

// parseAccept splits an Accept header into media ranges sorted by descending q (in the header's
// order among equals), dropping q=0 and malformed clauses. It is lenient on purpose: the
// protobuf OpenAPI media types ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
// contain characters mime.ParseMediaType rejects. An empty header means */*.
func parseAccept(accept string) []mediaRange {
	if strings.TrimSpace(accept) == "" {
		return []mediaRange{{typ: "*", subtype: "*", q: 1}}
	}
	var out []mediaRange
	for _, clause := range strings.Split(accept, ",") {
		parts := strings.Split(clause, ";")
		typ, subtype, ok := strings.Cut(strings.ToLower(strings.TrimSpace(parts[0])), "/")
		if !ok || typ == "" || subtype == "" {
			continue
		}
		m := mediaRange{typ: typ, subtype: subtype, q: 1}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.TrimSpace(k) != "q" {
				continue
			}
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				m.q = -1
				break
			}
			m.q = q
		}
		if m.q <= 0 {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}

// offer is a representation a handler can produce.
type offer struct {
	subtype     string // of "application/..."
	contentType string // what the response names
}

// choose returns the index of the first offer the client accepts, or -1.
func choose(accept string, offers []offer) int {
	for _, m := range parseAccept(accept) {
		if m.typ != "application" && m.typ != "*" {
			continue
		}
		for i, o := range offers {
			if m.subtype == "*" || m.subtype == o.subtype {
				return i
			}
		}
	}
	return -1
}
