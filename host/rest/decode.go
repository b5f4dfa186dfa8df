package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// readBody reads a request body, refusing more than limit bytes with 413 as kube does.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit))
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	if int64(len(data)) > limit {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit))
	}
	return data, nil
}

// decoded is a request body turned into an object.
type decoded struct {
	obj runtime.Object
	// strictErrs are unknown and duplicate fields, in kube's words (`unknown field "spec.foo"`).
	strictErrs []error
}

// decodeObject decodes a JSON or YAML body into a new object of the expected kind. kind and
// apiVersion in the body may be left out; if present they must match the expected kind.
// Unknown and duplicate fields are reported in strictErrs, not as errors: the caller decides by
// fieldValidation.
func decodeObject(body []byte, mediaType string, gvk schema.GroupVersionKind, newObj func() runtime.Object) (*decoded, error) {
	data := body
	if mediaType == mediaYAML {
		j, err := yaml.YAMLToJSON(body)
		if err != nil {
			return nil, unrecognized(gvk, fmt.Errorf("error converting YAML to JSON: %w", err), body)
		}
		data = j
	}
	obj := newObj()
	if _, ok := obj.(*unstructured.Unstructured); !ok {
		// The usual body of a typed kind decodes strictly with nothing to report; then its kind
		// and apiVersion are the ones the object decoded, and the body is read once.
		strictErrs, err := sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
		if err == nil && len(strictErrs) == 0 {
			tm, err := meta.TypeAccessor(obj)
			if err != nil {
				return nil, fmt.Errorf("reading the kind of %T: %w", obj, err)
			}
			if err := checkTypeMeta(tm.GetKind(), tm.GetAPIVersion(), gvk); err != nil {
				return nil, err
			}
			obj.GetObjectKind().SetGroupVersionKind(gvk)
			return finishDecode(body, mediaType, obj, nil)
		}
		obj = newObj()
	}
	// Otherwise the kind is read as kube reads it, forgivingly (encoding/json matches keys
	// case-insensitively, the last duplicate wins), before the object's own errors are reported.
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, unrecognized(gvk, fmt.Errorf("couldn't get version/kind; json parse error: %w", err), body)
	}
	if err := checkTypeMeta(tm.Kind, tm.APIVersion, gvk); err != nil {
		return nil, err
	}
	var strictErrs []error
	var err error
	if u, ok := obj.(*unstructured.Unstructured); ok {
		// A custom resource has no Go type to find unknown fields by; duplicates are still found.
		m := map[string]interface{}{}
		strictErrs, err = sigsjson.UnmarshalStrict(data, &m, sigsjson.DisallowDuplicateFields)
		if err == nil && m == nil {
			err = errors.New("the body is null")
		}
		u.Object = m
	} else {
		strictErrs, err = sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	}
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
			gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return finishDecode(body, mediaType, obj, strictErrs)
}

// checkTypeMeta checks a body's kind and apiVersion, either of which may be absent, against the
// kind the URL's resource expects.
func checkTypeMeta(kind, apiVersion string, gvk schema.GroupVersionKind) error {
	if kind != "" && kind != gvk.Kind {
		return kindMismatch(kind, versionOf(apiVersion, gvk), gvk)
	}
	if apiVersion != "" && apiVersion != gvk.GroupVersion().String() {
		return apiVersionMismatch(apiVersion, gvk)
	}
	return nil
}

// finishDecode adds what only the YAML source shows to the strict errors: duplicate keys vanish
// in the YAML to JSON conversion, and the strict conversion finds them. The object carries the
// expected kind and apiVersion, whether or not the body stated them.
func finishDecode(body []byte, mediaType string, obj runtime.Object, strictErrs []error) (*decoded, error) {
	if mediaType == mediaYAML {
		if _, err := yaml.YAMLToJSONStrict(body); err != nil {
			strictErrs = append(strictErrs, err)
		}
	}
	return &decoded{obj: obj, strictErrs: strictErrs}, nil
}

// kindMismatch is kube's answer to a body of another kind than the URL's resource.
func kindMismatch(kind, version string, gvk schema.GroupVersionKind) error {
	return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: no kind %q is registered for the resource",
		kind, version, gvk.Kind, kind))
}

// apiVersionMismatch is kube's answer to a body of the right kind in another group version.
func apiVersionMismatch(apiVersion string, gvk schema.GroupVersionKind) error {
	return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)",
		apiVersion, gvk.GroupVersion().String()))
}

func versionOf(apiVersion string, gvk schema.GroupVersionKind) string {
	if apiVersion == "" {
		return gvk.Version
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return apiVersion
	}
	return gv.Version
}

// unrecognized is kube's answer to a body it cannot read a kind from.
func unrecognized(gvk schema.GroupVersionKind, err error, body []byte) error {
	if body == nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v", gvk.Kind, err))
	}
	return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v (%s)", gvk.Kind, err, summarize(body, 30)))
}

// summarize shortens a body for an error message, as kube's summarizeData.
func summarize(data []byte, n int) string {
	if len(data) <= n {
		return string(data)
	}
	return string(data[:n]) + " ..."
}

// strictDecodingError is kube's error for unknown or duplicate fields under fieldValidation=Strict.
func strictDecodingError(gvk schema.GroupVersionKind, errs []error) error {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: strict decoding error: %s",
		gvk.Kind, gvk.Version, gvk.Kind, strings.Join(msgs, ", ")))
}

// decodeDeleteOptions reads a DeleteOptions body. Its kind, if given, must be DeleteOptions; kube
// registers it in every group version, so any apiVersion is accepted.
func decodeDeleteOptions(body []byte, mediaType string, opts *metav1.DeleteOptions) error {
	if mediaType == mediaProtobuf {
		return decodeProtobufDeleteOptions(body, opts)
	}
	data := body
	if mediaType == mediaYAML {
		j, err := yaml.YAMLToJSON(body)
		if err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("error converting YAML to JSON: %v", err))
		}
		data = j
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, opts); err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("decoding DeleteOptions: %v", err))
	}
	if opts.Kind != "" && opts.Kind != "DeleteOptions" {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a DeleteOptions", opts.Kind, opts.APIVersion))
	}
	return nil
}
