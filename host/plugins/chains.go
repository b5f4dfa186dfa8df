package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/authn"
	"github.com/kapi-dev/kapi/host/authz"
)

// Chains are one configuration's loaded plugins, in the order they are asked.
type Chains struct {
	Authenticators []Member
	Authorizers    []Member
	Admission      []Member
}

// unit is one loaded entry: a built-in instance, or a wasm or process plugin behind its slot. A
// configuration reload carries a unit over to the new chains when its entry is unchanged.
type unit struct {
	key     string
	member  Member
	builtin abi.Plugin
	reload  *reloadable
}

// generation is what one configuration loaded: its units, and the unions and admission chain the
// server calls, built once from them.
type generation struct {
	chains    Chains
	units     []*unit
	authn     *authn.Union
	authz     *authz.Union
	admission *admission.Chain
}

// unitKey identifies an entry across configurations: its section and everything it is loaded
// with. A changed config or failure policy is a new unit; the same entry reuses the running one.
func unitKey(section string, e Entry) string {
	var config bytes.Buffer
	if err := json.Compact(&config, e.Config); err != nil {
		config.Reset()
		config.Write(e.Config)
	}
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s", section, e.Name, e.Source, e.FailurePolicy, config.Bytes())
}

// build loads cfg into a generation, reusing prev's units whose entries did not change (prev may
// be nil). On an error it closes the units it loaded, leaving prev's untouched.
func (s *Set) build(ctx context.Context, cfg *Configuration, prev *generation) (*generation, error) {
	running := map[string]*unit{}
	if prev != nil {
		for _, u := range prev.units {
			running[u.key] = u
		}
	}
	g := &generation{}
	var fresh []*unit
	sections := []struct {
		field   string
		kind    abi.Kind
		entries []Entry
		into    *[]Member
	}{
		{"authenticators", abi.KindAuthenticator, cfg.Authenticators, &g.chains.Authenticators},
		{"authorizers", abi.KindAuthorizer, cfg.Authorizers, &g.chains.Authorizers},
		{"admission", "", cfg.Admission, &g.chains.Admission},
	}
	for _, sec := range sections {
		for i, e := range sec.entries {
			key := unitKey(sec.field, e)
			u, ok := running[key]
			if !ok {
				var err error
				if u, err = s.loadUnit(ctx, sec.kind, e); err != nil {
					for _, f := range fresh {
						s.closeUnit(f)
					}
					return nil, fmt.Errorf("%s[%d] (%s): %w", sec.field, i, e.Name, err)
				}
				u.key = key
				fresh = append(fresh, u)
			}
			g.units = append(g.units, u)
			*sec.into = append(*sec.into, u.member)
		}
	}
	var authns []authn.Named
	for _, m := range g.chains.Authenticators {
		authns = append(authns, authn.Named{Name: m.Name, Authenticator: m.Authenticator})
	}
	g.authn = authn.NewUnion(s.flags.AnonymousAuth, authns...)
	var authzs []authz.Named
	for _, m := range g.chains.Authorizers {
		authzs = append(authzs, authz.Named{Name: m.Name, Authorizer: m.Authorizer})
	}
	g.authz = authz.NewUnion(authzs...)
	var mutating []admission.Mutating
	var validating []admission.Validating
	for _, m := range g.chains.Admission {
		if m.Mutating != nil {
			mutating = append(mutating, admission.Mutating{Name: m.Name, Plugin: m.Mutating})
		}
		if m.Validating != nil {
			validating = append(validating, admission.Validating{Name: m.Name, Plugin: m.Validating})
		}
	}
	g.admission = admission.NewNamedChain(mutating, validating)
	return g, nil
}

// retire closes, in the background once old's calls end, the units of old that next does not
// carry over.
func (s *Set) retire(old *counted[*generation], next *generation) {
	kept := map[*unit]bool{}
	for _, u := range next.units {
		kept[u] = true
	}
	s.retiring.Add(1)
	go func() {
		defer s.retiring.Done()
		old.drain()
		for _, u := range old.value.units {
			if !kept[u] {
				s.closeUnit(u)
			}
		}
	}()
}

func (s *Set) closeUnit(u *unit) {
	if u.reload != nil {
		u.reload.slot.close()
		return
	}
	if err := u.builtin.Close(); err != nil {
		s.logger.Warn("closing plugin", "plugin", u.member.Name, "err", err)
	}
}

// Chains returns the current configuration's members.
func (s *Set) Chains() Chains { return s.gen.load().chains }

// Authenticator is the server's authenticator: the current configuration's authenticators as one
// union (host/authn), the anonymous user last when Flags.AnonymousAuth. Each call runs on one
// configuration from start to end; a configuration reload applies to the calls after it.
func (s *Set) Authenticator() Authenticator { return Authenticator{s} }

// Authorizer is the server's authorizer: the current configuration's authorizers as one union
// (host/authz), each call on one configuration.
func (s *Set) Authorizer() Authorizer { return Authorizer{s} }

// Admission is the server's admission: the current configuration's admission plugins as one
// chain (host/admission). A write's mutating and validating phases are two calls, each on the
// configuration current when it starts, as kube's webhook admission reads its configuration per
// phase.
func (s *Set) Admission() Admission { return Admission{s} }

// Authenticator is what Set.Authenticator returns.
type Authenticator struct{ set *Set }

// AuthenticateRequest is authn.Union's, on the current configuration.
func (a Authenticator) AuthenticateRequest(r *http.Request) (*abi.UserInfo, bool, error) {
	g := a.set.gen.acquire()
	defer g.release()
	return g.value.authn.AuthenticateRequest(r)
}

// AuthenticateToken is authn.Union's, on the current configuration.
func (a Authenticator) AuthenticateToken(ctx context.Context, token string) (*abi.UserInfo, bool, error) {
	g := a.set.gen.acquire()
	defer g.release()
	return g.value.authn.AuthenticateToken(ctx, token)
}

// Authorizer is what Set.Authorizer returns.
type Authorizer struct{ set *Set }

var _ abi.Authorizer = Authorizer{}

// Authorize is authz.Union's, on the current configuration.
func (a Authorizer) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	g := a.set.gen.acquire()
	defer g.release()
	return g.value.authz.Authorize(ctx, review)
}

// Admission is what Set.Admission returns.
type Admission struct{ set *Set }

// HasMutating reports whether the current configuration has a mutating plugin.
func (a Admission) HasMutating() bool { return a.set.gen.load().admission.HasMutating() }

// HasValidating reports whether the current configuration has a validating plugin.
func (a Admission) HasValidating() bool { return a.set.gen.load().admission.HasValidating() }

// Mutate is admission.Chain's, on the current configuration.
func (a Admission) Mutate(ctx context.Context, attrs *admission.Attributes) (runtime.Object, error) {
	g := a.set.gen.acquire()
	defer g.release()
	return g.value.admission.Mutate(ctx, attrs)
}

// Validate is admission.Chain's, on the current configuration.
func (a Admission) Validate(ctx context.Context, attrs *admission.Attributes) error {
	g := a.set.gen.acquire()
	defer g.release()
	return g.value.admission.Validate(ctx, attrs)
}
