package discovery

import (
	"mime"
	"sort"
	"strconv"
	"strings"
)

// form is the shape of discovery document a request gets.
type form int

const (
	// formNone means nothing the client accepts can be served (406).
	formNone form = iota
	formLegacy
	formAggregatedV2
	formAggregatedV2Beta1
)

// Content types of the aggregated forms, as kube-apiserver writes them.
const (
	contentTypeAggregatedV2      = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	contentTypeAggregatedV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
)

type acceptClause struct {
	mediaType string // "application/json", "*/*" ...
	params    map[string]string
	q         float64
}

// negotiate picks the form for an Accept header, as kube: clauses are tried by descending q (in
// the client's order among equals). A JSON clause naming the aggregated kind gets the aggregated
// form; a plain JSON, protobuf or wildcard clause gets the legacy form (protobuf falls back to
// JSON, which every client also accepts); a protobuf clause naming the aggregated kind gets the
// aggregated JSON form only when nothing later matches, since its client reads the Content-Type.
// An empty Accept means */*.
func negotiate(accept string) form {
	if strings.TrimSpace(accept) == "" {
		return formLegacy
	}
	fallback := formNone
	for _, c := range parseAccept(accept) {
		aggregated := c.params["g"] == "apidiscovery.k8s.io" && c.params["as"] == "APIGroupDiscoveryList"
		var version form
		if aggregated {
			switch c.params["v"] {
			case "v2":
				version = formAggregatedV2
			case "v2beta1":
				version = formAggregatedV2Beta1
			default:
				continue
			}
		}
		switch c.mediaType {
		case "application/json":
			if aggregated {
				return version
			}
			return formLegacy
		case "application/vnd.kubernetes.protobuf":
			if aggregated {
				if fallback == formNone {
					fallback = version
				}
				continue
			}
			return formLegacy
		case "*/*", "application/*":
			if !aggregated {
				return formLegacy
			}
		}
	}
	return fallback
}

// parseAccept splits an Accept header into its clauses, dropping malformed ones and those with
// q=0, sorted by descending q and otherwise in the header's order.
func parseAccept(accept string) []acceptClause {
	var out []acceptClause
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		c := acceptClause{mediaType: mediaType, params: params, q: 1}
		if q, ok := params["q"]; ok {
			v, err := strconv.ParseFloat(q, 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			c.q = v
		}
		if c.q == 0 {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}
