// Package status is the one place where kapi writes a Kubernetes Status to an API client. Every
// error that reaches a client, from any filter or handler, goes through Write, so codes, reasons,
// the Retry-After header and the body's shape are the same everywhere and match kube-apiserver's
// (k8s.io/apiserver's responsewriters.ErrorNegotiated): the body is JSON, YAML or protobuf as the
// request's Accept header negotiates, JSON when it negotiates none.
//
// status imports nothing of ours; it must not import other host packages, so that every one of
// them can import it.
package status

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FromError turns any error into the Status a client sees, as kube's ErrorToAPIStatus: an
// apierrors.APIStatus keeps its code and reason (Failure with code 500 when unset); anything else
// becomes a 500 with reason Unknown ("" in JSON) and the error's text as message.
func FromError(err error) *metav1.Status {
	var apiStatus apierrors.APIStatus
	if errors.As(err, &apiStatus) {
		st := apiStatus.Status()
		if st.Status == "" {
			st.Status = metav1.StatusFailure
		}
		if st.Code == 0 {
			switch st.Status {
			case metav1.StatusSuccess:
				st.Code = http.StatusOK
			default:
				st.Code = http.StatusInternalServerError
			}
		}
		st.Kind = "Status"
		st.APIVersion = "v1"
		return &st
	}
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Code:     http.StatusInternalServerError,
		Reason:   metav1.StatusReasonUnknown,
		Message:  msg,
	}
}

// Write writes err to w as a Status, with the Status's code as the HTTP code and a Retry-After
// header when the Status asks the client to retry. The body is in the form r's Accept header
// negotiates (JSON, YAML or protobuf; see Negotiate), JSON when it negotiates none, as kube's
// responsewriters.ErrorNegotiated. Errors that are not Kubernetes Status errors are logged, since
// they usually mean a handler forgot to classify a failure.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	var apiStatus apierrors.APIStatus
	if !errors.As(err, &apiStatus) {
		slog.Error("apiserver received an error that is not a metav1.Status", "path", pathOf(r), "err", err)
	}
	accept := ""
	if r != nil {
		accept = r.Header.Get("Accept")
	}
	writeStatus(w, FromError(err), Negotiate(accept))
}

// WriteStatus writes st as the response in JSON, its Code as the HTTP status code.
func WriteStatus(w http.ResponseWriter, st *metav1.Status) {
	writeStatus(w, st, MediaJSON)
}

func writeStatus(w http.ResponseWriter, st *metav1.Status, mediaType string) {
	if st.Details != nil && st.Details.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(st.Details.RetryAfterSeconds)))
	}
	code := int(st.Code)
	if code == http.StatusNoContent {
		// A 204 has no body, as kube.
		w.WriteHeader(code)
		return
	}
	body, err := Encode(st, mediaType)
	if err != nil {
		// metav1.Status always encodes; keep the client informed regardless.
		mediaType = MediaJSON
		body = []byte(fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"code":500}`+"\n", err.Error()))
		code = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// InternalError writes a 500 InternalError Status for err, as kube's responsewriters.InternalError.
func InternalError(w http.ResponseWriter, r *http.Request, err error) {
	Write(w, r, apierrors.NewInternalError(err))
}

func pathOf(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	return r.URL.Path
}
