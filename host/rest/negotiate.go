package rest

import (
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Media types kapi reads and writes.
const (
	mediaJSON     = "application/json"
	mediaYAML     = "application/yaml"
	mediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// Transformations a client may ask for with the as= media type parameter.
const (
	asNone        = ""
	asTable       = "Table"
	asPartial     = "PartialObjectMetadata"
	asPartialList = "PartialObjectMetadataList"
)

// acceptedMediaTypes is what 406 answers list, as kube's do. Protobuf is not among them: kapi
// reads protobuf bodies but answers in JSON or YAML.
var acceptedMediaTypes = []string{mediaJSON, mediaYAML}

// output is the negotiated form of a response.
type output struct {
	// mediaType is application/json or application/yaml.
	mediaType string
	// as is asNone, asTable or asPartial (asPartialList is folded into asPartial: the response's
	// shape, object or list, decides which kind is written).
	as string
	// metaVersion is the meta.k8s.io version of a Table or PartialObjectMetadata: v1 or v1beta1.
	metaVersion string
}

// contentType is the Content-Type header of a response in this form.
func (o output) contentType() string {
	return o.mediaType
}

// key names the form for encode-once caches: two watchers with the same key share bytes.
func (o output) key() string {
	if o.as == asNone {
		return o.mediaType
	}
	return o.mediaType + ";as=" + o.as + ";v=" + o.metaVersion
}

// acceptClause is one media range of an Accept header.
type acceptClause struct {
	typ, subtype string
	params       map[string]string
	q            float64
}

// parseAccept splits an Accept header into its media ranges, best first: by quality, then in the
// order the client wrote them. Malformed ranges are skipped, as kube's goautoneg does.
func parseAccept(header string) []acceptClause {
	var out []acceptClause
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
		c := acceptClause{typ: typ, subtype: subtype, params: params, q: 1}
		if qs, ok := params["q"]; ok {
			q, err := strconv.ParseFloat(qs, 64)
			if err != nil || q < 0 || q > 1 {
				continue
			}
			c.q = q
			delete(params, "q")
		}
		if c.q == 0 {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}

// negotiateOutput picks the response form from an Accept header: the first media range kapi can
// serve. An empty header means JSON. Protobuf is not served; a client that accepts only protobuf
// gets 406 NotAcceptable.
func negotiateOutput(accept string) (output, error) {
	if strings.TrimSpace(accept) == "" {
		return output{mediaType: mediaJSON}, nil
	}
	for _, c := range parseAccept(accept) {
		if o, ok := outputFor(c); ok {
			return o, nil
		}
	}
	return output{}, notAcceptable()
}

func outputFor(c acceptClause) (output, bool) {
	var o output
	switch {
	case c.typ == "*" && c.subtype == "*", c.typ == "application" && c.subtype == "*":
		o.mediaType = mediaJSON
	case c.typ == "application" && c.subtype == "json":
		o.mediaType = mediaJSON
	case c.typ == "application" && c.subtype == "yaml":
		o.mediaType = mediaYAML
	default:
		return output{}, false
	}
	as := c.params["as"]
	if as == "" {
		if len(c.params["g"]) > 0 || len(c.params["v"]) > 0 {
			// A group or version without a transformation names a type we do not convert to.
			return output{}, false
		}
		return o, true
	}
	if c.params["g"] != metav1.GroupName {
		return output{}, false
	}
	switch v := c.params["v"]; v {
	case "v1", "v1beta1":
		o.metaVersion = v
	default:
		return output{}, false
	}
	switch as {
	case asTable:
		o.as = asTable
	case asPartial, asPartialList:
		o.as = asPartial
	default:
		return output{}, false
	}
	return o, true
}

func notAcceptable() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: "only the following media types are accepted: " + strings.Join(acceptedMediaTypes, ", "),
	}}
}

func unsupportedMediaType(accepted []string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnsupportedMediaType,
		Reason:  metav1.StatusReasonUnsupportedMediaType,
		Message: "the body of the request was in an unknown format - accepted media types include: " + strings.Join(accepted, ", "),
	}}
}

// bodyMediaType returns the media type of a request body (JSON when unset) if it is one of
// accepted, else 415.
func bodyMediaType(contentType string, accepted []string) (string, error) {
	if strings.TrimSpace(contentType) == "" {
		return mediaJSON, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", unsupportedMediaType(accepted)
	}
	for _, a := range accepted {
		if mt == a {
			return mt, nil
		}
	}
	return "", unsupportedMediaType(accepted)
}
