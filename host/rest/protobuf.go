package rest

import (
	"bytes"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// protobufSerializer reads and writes Kubernetes' protobuf envelope ("k8s\x00" and a
// runtime.Unknown naming the kind) for every built-in type, which client-go's clientsets send
// request bodies in and ask for answers in. Custom resources have no protobuf form.
var protobufSerializer = protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)

// encodeProtobuf encodes obj in kube's protobuf envelope, naming gvk when obj carries no kind.
// An object without a protobuf form (a Table) is a 406, as kube's serializer answers.
func encodeProtobuf(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	if obj.GetObjectKind().GroupVersionKind().Empty() && gvk.Kind != "" {
		obj = withKind(obj, gvk)
	}
	var b bytes.Buffer
	if err := protobufSerializer.Encode(obj, &b); err != nil {
		if protobuf.IsNotMarshalable(err) {
			return nil, err
		}
		return nil, fmt.Errorf("encoding %T as protobuf: %w", obj, err)
	}
	return b.Bytes(), nil
}

// bodyMediaTypes are the request body media types a resource accepts: protobuf only for built-in
// (typed) resources, as kube.
func bodyMediaTypes(newObj func() runtime.Object) []string {
	if _, ok := newObj().(*unstructured.Unstructured); ok {
		return []string{mediaJSON, mediaYAML}
	}
	return []string{mediaJSON, mediaYAML, mediaProtobuf}
}

// decodeProtobuf decodes a protobuf body into a new object of the expected kind, with the same
// checks of kind and apiVersion as JSON bodies get. Protobuf has no unknown or duplicate fields
// to report.
func decodeProtobuf(body []byte, gvk schema.GroupVersionKind, newObj func() runtime.Object) (*decoded, error) {
	into := newObj()
	if _, ok := into.(*unstructured.Unstructured); ok {
		return nil, unsupportedMediaType(bodyMediaTypes(newObj))
	}
	obj, actual, err := protobufSerializer.Decode(body, &gvk, into)
	if err != nil {
		if actual != nil && actual.Kind != "" && actual.Kind != gvk.Kind {
			return nil, kindMismatch(actual.Kind, actual.Version, gvk)
		}
		return nil, unrecognized(gvk, err, nil)
	}
	if actual.Kind != gvk.Kind {
		return nil, kindMismatch(actual.Kind, actual.Version, gvk)
	}
	if actual.GroupVersion() != gvk.GroupVersion() {
		return nil, apiVersionMismatch(actual.GroupVersion().String(), gvk)
	}
	if obj != into {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: decoded as %T", actual.Kind, actual.Version, gvk.Kind, obj))
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return &decoded{obj: obj}, nil
}

// decodeProtobufDeleteOptions reads a protobuf DeleteOptions body; kube registers DeleteOptions
// in every group version, so any is accepted.
func decodeProtobufDeleteOptions(body []byte, opts *metav1.DeleteOptions) error {
	obj, actual, err := protobufSerializer.Decode(body, nil, opts)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("decoding DeleteOptions: %v", err))
	}
	if actual.Kind != "DeleteOptions" || obj != opts {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a DeleteOptions", actual.Kind, actual.Version))
	}
	return nil
}
