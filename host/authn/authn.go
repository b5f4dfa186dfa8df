// Package authn decides who made a request: it builds the ABI's TokenReview from an *http.Request
// (the bearer token, the headers, the verified client certificate chain) and runs the configured
// authenticators as one union, as kube-apiserver's authenticator union does, anonymous last.
//
// authn imports abi and nothing else of ours; the authenticators themselves are plugins (built-in
// or loaded) behind abi.Authenticator.
package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/abi"
)

// Users and groups kube-apiserver gives special meaning.
const (
	// Anonymous is the user of a request no authenticator recognised, when anonymous access is on.
	Anonymous = "system:anonymous"
	// AllUnauthenticated is the anonymous user's group.
	AllUnauthenticated = "system:unauthenticated"
	// AllAuthenticated is added to every authenticated user's groups.
	AllAuthenticated = "system:authenticated"
)

// Named is an authenticator with the name its errors carry.
type Named struct {
	Name          string
	Authenticator abi.Authenticator
}

// Union tries authenticators in order; the first that authenticates the request wins.
type Union struct {
	authenticators []Named
	anonymous      bool
}

// NewUnion returns a union of authenticators, tried in order. With anonymous set, a request that
// carries no credentials any authenticator recognises is the anonymous user.
func NewUnion(anonymous bool, authenticators ...Named) *Union {
	return &Union{authenticators: authenticators, anonymous: anonymous}
}

// ErrInvalidToken is kube's answer to a bearer token nobody recognised.
var ErrInvalidToken = errors.New("invalid bearer token")

// AuthenticateToken authenticates a bearer token alone, as a TokenReview asks: no client
// certificate, no anonymous user, and a token nobody recognises is simply not authenticated.
func (u *Union) AuthenticateToken(ctx context.Context, token string) (*abi.UserInfo, bool, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	if err != nil {
		return nil, false, err
	}
	r.Header.Set("Authorization", "Bearer "+token)
	user, ok, err := (&Union{authenticators: u.authenticators}).AuthenticateRequest(r)
	if errors.Is(err, ErrInvalidToken) {
		return nil, false, nil
	}
	return user, ok, err
}

// AuthenticateRequest returns the request's user. It answers (nil, false, nil) when nobody
// recognised the request and anonymous access is off, and an error when credentials were
// presented but are invalid; in both cases the client is unauthorized. As in kube:
//   - authenticators are tried in order, an error from one does not stop the others;
//   - an authenticated user gets the group system:authenticated;
//   - a bearer token nobody accepts is an error ("invalid bearer token"), so a wrong token is never
//     silently downgraded to the anonymous user; neither is any other authenticator's error;
//   - the anonymous user is system:anonymous in group system:unauthenticated.
func (u *Union) AuthenticateRequest(r *http.Request) (*abi.UserInfo, bool, error) {
	review := ReviewFor(r)
	var errs []error
	for _, a := range u.authenticators {
		st, err := a.Authenticator.Authenticate(r.Context(), review)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", a.Name, err))
		case st.Error != "":
			errs = append(errs, fmt.Errorf("%s: %s", a.Name, st.Error))
		case st.Authenticated:
			user := st.User
			addAuthenticatedGroup(&user)
			return &user, true, nil
		}
	}
	if len(errs) > 0 {
		return nil, false, errors.Join(errs...)
	}
	if review.Spec.Token != "" {
		return nil, false, ErrInvalidToken
	}
	if u.anonymous {
		return &abi.UserInfo{Username: Anonymous, Groups: []string{AllUnauthenticated}}, true, nil
	}
	return nil, false, nil
}

func addAuthenticatedGroup(user *abi.UserInfo) {
	if user.Username == Anonymous {
		return
	}
	if slices.Contains(user.Groups, AllAuthenticated) || slices.Contains(user.Groups, AllUnauthenticated) {
		return
	}
	user.Groups = append(slices.Clip(user.Groups), AllAuthenticated)
}

// ReviewFor builds the TokenReview an authenticator sees: the bearer token from the
// Authorization header (kube's parsing: "Bearer <token>", scheme case-insensitive), every header,
// and the client certificate chain, leaf first, only when the TLS layer verified it.
func ReviewFor(r *http.Request) *abi.TokenReview {
	spec := abi.TokenReviewSpec{
		Token:   BearerToken(r.Header.Get("Authorization")),
		Headers: map[string][]string(r.Header.Clone()),
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		for _, c := range r.TLS.VerifiedChains[0] {
			spec.ClientCertificates = append(spec.ClientCertificates, c.Raw)
		}
	}
	return abi.NewTokenReview(spec)
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header value, or "".
func BearerToken(header string) string {
	parts := strings.SplitN(strings.TrimSpace(header), " ", 3)
	if len(parts) < 2 || !strings.EqualFold(parts[0], "bearer") {
		return ""
	}
	return parts[1]
}
