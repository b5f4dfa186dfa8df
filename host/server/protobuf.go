package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kapi-dev/kapi/host/status"
)

// protobufMediaType is Kubernetes' protobuf envelope, which client-go's typed clients (and so
// kubectl create, and every clientset) send request bodies in.
const protobufMediaType = "application/vnd.kubernetes.protobuf"

// maxTranscodedBody is the largest protobuf body transcoded; larger ones go to the REST handler
// as they are, which answers 413 (its limit is 3 MiB).
const maxTranscodedBody = 3 << 20

// withProtobufBodiesAsJSON turns protobuf request bodies of built-in types into the equivalent JSON
// before the REST handler sees them, since the REST handler decodes JSON and YAML only. It is the
// integrator's adapter, kept here until host/rest decodes protobuf itself; then it goes. Bodies of
// types client-go does not know (custom resources are never sent as protobuf) pass through
// untouched, and the REST handler answers 415 as before.
func withProtobufBodiesAsJSON(next http.Handler) http.Handler {
	pb := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mediaType != protobufMediaType || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTranscodedBody+1))
		if err != nil {
			status.Write(w, r, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err)))
			return
		}
		if len(body) > maxTranscodedBody {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			next.ServeHTTP(w, r)
			return
		}
		obj, _, err := pb.Decode(body, nil, nil)
		if err != nil {
			if runtime.IsNotRegisteredError(err) {
				r.Body = io.NopCloser(bytes.NewReader(body))
				next.ServeHTTP(w, r)
				return
			}
			status.Write(w, r, apierrors.NewBadRequest(fmt.Sprintf("the body of the request was in an unknown format - decoding protobuf: %v", err)))
			return
		}
		js, err := json.Marshal(obj)
		if err != nil {
			status.InternalError(w, r, fmt.Errorf("transcoding a protobuf body to JSON: %w", err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(js))
		r.ContentLength = int64(len(js))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Content-Length", strconv.Itoa(len(js)))
		next.ServeHTTP(w, r)
	})
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
