package filters

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/authz"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"
)

// WithAuthorization asks the authorizer whether the request's user may do what the request asks,
// and answers 403 Forbidden with kube's message when it is not allowed, or 500 when the authorizer
// failed without allowing. It needs the RequestInfo and the user in the context.
func WithAuthorization(next http.Handler, a abi.Authorizer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := request.InfoFrom(r.Context())
		if !ok {
			status.InternalError(w, r, errors.New("no RequestInfo found in the context, the handler chain is wrong"))
			return
		}
		user, _ := request.UserFrom(r.Context())
		review := authz.ReviewFor(info, user)
		decision, err := a.Authorize(r.Context(), review)
		// An authorizer may allow despite an evaluation error; the decision is checked first.
		if decision.Allowed {
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			status.InternalError(w, r, err)
			return
		}
		slog.Debug("forbidden", "uri", r.RequestURI, "reason", decision.Reason)
		status.Write(w, r, Forbidden(info, user, decision.Reason))
	})
}

// htmlEscaper keeps a user-chosen path or name from turning the message into markup, as kube's.
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;")

// Forbidden is the 403 a denied request gets, worded as kube-apiserver's:
//
//	configmaps is forbidden: User "x" cannot list resource "configmaps" in API group "" in the namespace "y"
//	forbidden: User "x" cannot get path "/healthz"
//
// followed by ": <reason>" when the authorizers gave one.
func Forbidden(info *request.Info, user *abi.UserInfo, reason string) *apierrors.StatusError {
	msg := htmlEscaper.Replace(forbiddenMessage(info, user))
	if reason != "" {
		msg = msg + ": " + reason
	}
	gr := schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}
	return apierrors.NewForbidden(gr, info.Name, errors.New(msg))
}

func forbiddenMessage(info *request.Info, user *abi.UserInfo) string {
	username := ""
	if user != nil {
		username = user.Username
	}
	if !info.IsResourceRequest {
		return fmt.Sprintf("User %q cannot %s path %q", username, info.Verb, info.Path)
	}
	resource := info.Resource
	if info.Subresource != "" {
		resource += "/" + info.Subresource
	}
	if info.Namespace != "" {
		return fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", username, info.Verb, resource, info.APIGroup, info.Namespace)
	}
	return fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", username, info.Verb, resource, info.APIGroup)
}
