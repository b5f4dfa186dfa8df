package filters

import (
	"log/slog"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/status"
)

// RequestAuthenticator finds a request's user; host/authn's Union is the one the server uses.
type RequestAuthenticator interface {
	// AuthenticateRequest returns the user, or false (with an error when credentials were
	// presented but are invalid) when the request is not authenticated.
	AuthenticateRequest(r *http.Request) (*abi.UserInfo, bool, error)
}

// WithAuthentication puts the request's user in the context, or answers 401 Unauthorized when
// there is none. The Authorization header is removed once it has served its purpose, so no later
// stage is tempted to use the client's credentials.
func WithAuthentication(next http.Handler, auth RequestAuthenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok, err := auth.AuthenticateRequest(r)
		if err != nil || !ok {
			if err != nil {
				slog.Info("unable to authenticate the request", "path", r.URL.Path, "err", err)
			}
			status.Write(w, r, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), user)))
	})
}
