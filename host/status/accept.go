package status

import (
	"mime"
	"sort"
	"strconv"
	"strings"
)

// MediaRange is one media range of an Accept header: type/subtype, its parameters (without q)
// and its quality.
type MediaRange struct {
	Type, Subtype string
	Params        map[string]string
	Q             float64
}

// Matches reports whether the range admits the media type typ/subtype: exactly, as typ/*, or
// as */*.
func (m MediaRange) Matches(typ, subtype string) bool {
	return (m.Type == typ && (m.Subtype == subtype || m.Subtype == "*")) || (m.Type == "*" && m.Subtype == "*")
}

// ParseAccept splits an Accept header into its media ranges, best first: by quality, then in the
// order the client wrote them. Malformed ranges and ranges of quality 0 are skipped, as kube's
// goautoneg does. host/rest negotiates response bodies from the same parse, so that an error and
// the answer it replaces are chosen alike.
func ParseAccept(header string) []MediaRange {
	var out []MediaRange
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		typ, subtype, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || subtype == "" {
			continue
		}
		r := MediaRange{Type: typ, Subtype: subtype, Params: params, Q: 1}
		if qs, ok := params["q"]; ok {
			q, err := strconv.ParseFloat(qs, 64)
			if err != nil || q < 0 || q > 1 {
				continue
			}
			r.Q = q
			delete(params, "q")
		}
		if r.Q == 0 {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Q > out[j].Q })
	return out
}
