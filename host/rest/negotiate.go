package rest

import (
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/host/status"
)

// Media types kapi reads and writes.
const (
	mediaJSON     = status.MediaJSON
	mediaYAML     = status.MediaYAML
	mediaProtobuf = status.MediaProtobuf
)

// Transformations a client may ask for with the as= media type parameter.
const (
	asNone        = ""
	asTable       = "Table"
	asPartial     = "PartialObjectMetadata"
	asPartialList = "PartialObjectMetadataList"
)

// servedMediaTypes are the response media types in kube's order: the first a media range admits
// wins, so */* and application/* mean JSON. 406 answers list all three, as kube's do, custom
// resources included (their protobuf serves PartialObjectMetadata only).
var servedMediaTypes = []string{mediaJSON, mediaYAML, mediaProtobuf}

// output is the negotiated form of a response.
type output struct {
	// mediaType is application/json, application/yaml or application/vnd.kubernetes.protobuf.
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

// watchContentType is the Content-Type header of a watch stream in this form: kube marks every
// stream but JSON's with stream=watch.
func (o output) watchContentType() string {
	if o.mediaType == mediaJSON {
		return o.mediaType
	}
	return o.mediaType + ";stream=watch"
}

// key names the form for encode-once caches: two watchers with the same key share bytes.
func (o output) key() string {
	if o.as == asNone {
		return o.mediaType
	}
	return o.mediaType + ";as=" + o.as + ";v=" + o.metaVersion
}

// negotiateOutput picks the response form from an Accept header as kube's
// NegotiateMediaTypeOptions does: the media ranges best first, and for each the media types in
// servedMediaTypes' order, the first pair whose parameters the endpoint allows. An empty header
// means JSON. typed says whether the resource has a protobuf form: custom resources answer
// protobuf only as PartialObjectMetadata, as kube's (their StandardSerializers).
func negotiateOutput(accept string, typed bool) (output, error) {
	if strings.TrimSpace(accept) == "" {
		return output{mediaType: mediaJSON}, nil
	}
	for _, r := range status.ParseAccept(accept) {
		for _, mt := range servedMediaTypes {
			typ, subtype, _ := strings.Cut(mt, "/")
			if !r.Matches(typ, subtype) {
				continue
			}
			if o, ok := outputFor(mt, r.Params, typed); ok {
				return o, nil
			}
		}
	}
	return output{}, notAcceptable()
}

// outputFor is the form a media range's parameters ask for in media type mt, if the endpoint
// serves it: a Table in JSON or YAML only, PartialObjectMetadata in any type, the object itself
// in protobuf only for typed resources; a stream only of watch events, in a type with a stream
// form (not YAML).
func outputFor(mt string, params map[string]string, typed bool) (output, bool) {
	o := output{mediaType: mt}
	if v := params["stream"]; v != "" && (v != "watch" || mt == mediaYAML) {
		return output{}, false
	}
	as := params["as"]
	if as == "" {
		if len(params["g"]) > 0 || len(params["v"]) > 0 {
			// A group or version without a transformation names a type we do not convert to.
			return output{}, false
		}
		return o, typed || mt != mediaProtobuf
	}
	if params["g"] != metav1.GroupName {
		return output{}, false
	}
	switch v := params["v"]; v {
	case "v1", "v1beta1":
		o.metaVersion = v
	default:
		return output{}, false
	}
	switch as {
	case asTable:
		if mt == mediaProtobuf {
			// metav1.Table has no protobuf form.
			return output{}, false
		}
		o.as = asTable
	case asPartial, asPartialList:
		o.as = asPartial
	default:
		return output{}, false
	}
	return o, true
}

func notAcceptable() error {
	return notAcceptableOf(servedMediaTypes)
}

// notAcceptableWatch is the 406 of a watch whose negotiated type has no stream form (YAML).
func notAcceptableWatch() error {
	return notAcceptableOf([]string{mediaJSON + ";stream=watch", mediaProtobuf + ";stream=watch"})
}

func notAcceptableOf(accepted []string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: "only the following media types are accepted: " + strings.Join(accepted, ", "),
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
