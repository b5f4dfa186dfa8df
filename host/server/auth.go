package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/authn"
	"github.com/kapi-dev/kapi/host/authz"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/plugins"
	// Every built-in plugin, registered by name.
	_ "github.com/kapi-dev/kapi/plugins/all"
)

// provision makes and provisions the built-in called name. A built-in gets the same host services
// as a loaded plugin with no capabilities: logging and the clock; object reads and outbound HTTP
// are refused, since a built-in declares none.
func (s *Server) provision(ctx context.Context, name string, kind abi.Kind, config []byte, flag string) (abi.Plugin, error) {
	newPlugin, ok := plugins.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%s: unknown plugin %q", flag, name)
	}
	p := newPlugin()
	manifest := &pluginapi.Manifest{Name: name, Kind: kind, ABIVersion: abi.Version}
	host := pluginapi.NewHostServices(manifest, slog.Default(), registryReader{reg: s.registry}, nil)
	if err := p.Provision(ctx, config, host); err != nil {
		return nil, fmt.Errorf("%s: provisioning %q: %w", flag, name, err)
	}
	return p, nil
}

// buildAuthenticator assembles the authenticators the flags ask for, in kube's order: client
// certificates (when a client CA is configured), then the static token file; anonymous last.
func buildAuthenticator(ctx context.Context, s *Server) (*authn.Union, []abi.Plugin, error) {
	cfg := &s.cfg
	var (
		members []authn.Named
		made    []abi.Plugin
	)
	add := func(name string, config []byte, flag string) error {
		p, err := s.provision(ctx, name, abi.KindAuthenticator, config, flag)
		if err != nil {
			return err
		}
		made = append(made, p)
		a, ok := p.(abi.Authenticator)
		if !ok {
			return fmt.Errorf("%s: plugin %q is not an authenticator", flag, name)
		}
		members = append(members, authn.Named{Name: name, Authenticator: a})
		return nil
	}
	if cfg.ClientCAFile != "" {
		if err := add("x509", nil, "--client-ca-file"); err != nil {
			return nil, made, err
		}
	}
	if cfg.TokenAuthFile != "" {
		text, err := os.ReadFile(cfg.TokenAuthFile)
		if err != nil {
			return nil, made, fmt.Errorf("--token-auth-file: %w", err)
		}
		config, err := json.Marshal(map[string]string{"tokens": string(text)})
		if err != nil {
			return nil, made, err
		}
		if err := add("tokenfile", config, "--token-auth-file"); err != nil {
			return nil, made, err
		}
	}
	return authn.NewUnion(cfg.AnonymousAuth, members...), made, nil
}

// buildAuthorizer assembles the authorizers of --authorization-mode, in the order given.
func buildAuthorizer(ctx context.Context, s *Server) (*authz.Union, []abi.Plugin, error) {
	cfg := &s.cfg
	var (
		members []authz.Named
		made    []abi.Plugin
	)
	if len(cfg.AuthorizationModes) == 0 {
		return nil, nil, fmt.Errorf("--authorization-mode: at least one mode is required")
	}
	seen := map[string]bool{}
	for _, mode := range cfg.AuthorizationModes {
		if seen[mode] {
			return nil, made, fmt.Errorf("--authorization-mode: %q given twice", mode)
		}
		seen[mode] = true
		p, err := s.provision(ctx, mode, abi.KindAuthorizer, nil, "--authorization-mode")
		if err != nil {
			return nil, made, err
		}
		made = append(made, p)
		a, ok := p.(abi.Authorizer)
		if !ok {
			return nil, made, fmt.Errorf("--authorization-mode: plugin %q is not an authorizer", mode)
		}
		members = append(members, authz.Named{Name: mode, Authorizer: a})
	}
	return authz.NewUnion(members...), made, nil
}

// buildAdmission provisions the admission plugins of --enable-admission-plugins, in order.
func buildAdmission(ctx context.Context, s *Server) (mutating []admission.Mutating, validating []admission.Validating, made []abi.Plugin, err error) {
	cfg := &s.cfg
	for _, name := range cfg.EnableAdmissionPlugins {
		p, err := s.provision(ctx, name, abi.KindValidatingAdmission, nil, "--enable-admission-plugins")
		if err != nil {
			return nil, nil, made, err
		}
		made = append(made, p)
		m, isMutating := p.(abi.MutatingAdmission)
		v, isValidating := p.(abi.ValidatingAdmission)
		if !isMutating && !isValidating {
			return nil, nil, made, fmt.Errorf("--enable-admission-plugins: plugin %q is not an admission plugin", name)
		}
		if isMutating {
			mutating = append(mutating, admission.Mutating{Name: name, Plugin: m})
		}
		if isValidating {
			validating = append(validating, admission.Validating{Name: name, Plugin: v})
		}
	}
	return mutating, validating, made, nil
}
