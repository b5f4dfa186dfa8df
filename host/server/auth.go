package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/authn"
	"github.com/kapi-dev/kapi/host/authz"
	"github.com/kapi-dev/kapi/host/plugins"
	// Every built-in plugin, registered by name.
	_ "github.com/kapi-dev/kapi/plugins/all"
)

// loadPlugins builds the authenticators, authorizers and admission plugins from the flags and the
// plugin configuration file (host/plugins says how the two combine), loads them (built-ins, Wasm
// modules and process plugins of --plugin-dir alike), and assembles the unions and the admission
// lists the chain calls. Every plugin gets host services whose object reads go to the registry.
func loadPlugins(ctx context.Context, s *Server) error {
	cfg := &s.cfg
	flags := plugins.Flags{AuthorizationModes: cfg.AuthorizationModes, AdmissionPlugins: cfg.EnableAdmissionPlugins}
	// kube's order: client certificates (when a client CA is configured), then the static token
	// file; anonymous last.
	if cfg.ClientCAFile != "" {
		flags.Authenticators = append(flags.Authenticators, plugins.Entry{Name: "x509", Source: plugins.SourceBuiltin})
	}
	if cfg.TokenAuthFile != "" {
		text, err := os.ReadFile(cfg.TokenAuthFile)
		if err != nil {
			return fmt.Errorf("--token-auth-file: %w", err)
		}
		config, err := json.Marshal(map[string]string{"tokens": string(text)})
		if err != nil {
			return err
		}
		flags.Authenticators = append(flags.Authenticators, plugins.Entry{Name: "tokenfile", Source: plugins.SourceBuiltin, Config: config})
	}
	var file *plugins.Configuration
	if cfg.PluginConfig != "" {
		c, err := plugins.ReadConfiguration(cfg.PluginConfig)
		if err != nil {
			return fmt.Errorf("--plugin-config: %w", err)
		}
		file = c
	}
	effective, err := plugins.Effective(file, flags, cfg.PluginDir)
	if err != nil {
		return err
	}
	cacheDir := ""
	if cfg.DataDir != "" {
		cacheDir = filepath.Join(cfg.DataDir, "wasm-cache")
	}
	set, err := plugins.Load(ctx, effective, plugins.Options{
		Dir:        cfg.PluginDir,
		CacheDir:   cacheDir,
		Reader:     registryReader{reg: s.registry},
		Registerer: s.metrics.Registry,
		Logger:     slog.Default(),
	})
	if err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	s.pluginSet = set

	var authns []authn.Named
	for _, m := range set.Authenticators {
		authns = append(authns, authn.Named{Name: m.Name, Authenticator: m.Authenticator})
	}
	s.authenticator = authn.NewUnion(cfg.AnonymousAuth, authns...)
	var authzs []authz.Named
	for _, m := range set.Authorizers {
		authzs = append(authzs, authz.Named{Name: m.Name, Authorizer: m.Authorizer})
	}
	s.authorizer = authz.NewUnion(authzs...)
	for _, m := range set.Admission {
		if m.Mutating != nil {
			s.admission.mutating = append(s.admission.mutating, admission.Mutating{Name: m.Name, Plugin: m.Mutating})
		}
		if m.Validating != nil {
			s.admission.validating = append(s.admission.validating, admission.Validating{Name: m.Name, Plugin: m.Validating})
		}
	}
	return nil
}
