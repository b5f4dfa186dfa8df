package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"sigs.k8s.io/yaml"
)

// The media types a Status is written in, in kube's order of preference: the first is the
// default.
const (
	MediaJSON     = "application/json"
	MediaYAML     = "application/yaml"
	MediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// Negotiate picks the media type of an error body from an Accept header, as kube-apiserver
// negotiates one for a Status: the first media range that admits JSON, YAML or protobuf with
// no transformation (a range asking for a Table or PartialObjectMetadata is passed over, since
// a Status is neither) and no stream other than watch (which YAML has no form of). When no range
// fits it is JSON: an error is never hidden behind a failed negotiation.
func Negotiate(accept string) string {
	for _, r := range ParseAccept(accept) {
		for _, mt := range []string{MediaJSON, MediaYAML, MediaProtobuf} {
			typ, subtype, _ := strings.Cut(mt, "/")
			if r.Matches(typ, subtype) && acceptsPlain(r.Params, mt) {
				return mt
			}
		}
	}
	return MediaJSON
}

// acceptsPlain reports whether a media range's parameters allow the plain object in media type
// mt: no as, g or v (a conversion), no server version, and a stream only of watch events in a
// type that has a stream form.
func acceptsPlain(params map[string]string, mt string) bool {
	for k, v := range params {
		switch k {
		case "as", "g", "v":
			return false
		case "sv":
			if v != "" {
				return false
			}
		case "stream":
			if v != "" && (v != "watch" || mt == MediaYAML) {
				return false
			}
		}
	}
	return true
}

// statusProtobuf writes a Status in kube's protobuf envelope ("k8s\x00" and a runtime.Unknown).
var statusProtobuf = protobuf.NewSerializer(nil, nil)

// Encode encodes st in mediaType (one of MediaJSON, MediaYAML, MediaProtobuf) as kube writes a
// Status: JSON and YAML end in a newline.
func Encode(st *metav1.Status, mediaType string) ([]byte, error) {
	switch mediaType {
	case MediaProtobuf:
		var b bytes.Buffer
		if err := statusProtobuf.Encode(st, &b); err != nil {
			return nil, fmt.Errorf("encoding a Status as protobuf: %w", err)
		}
		return b.Bytes(), nil
	case MediaYAML:
		data, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("encoding a Status: %w", err)
		}
		return yaml.JSONToYAML(data)
	default:
		data, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("encoding a Status: %w", err)
		}
		return append(data, '\n'), nil
	}
}
