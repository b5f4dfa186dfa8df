package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kapi-dev/kapi/host/plugins"
	// Every built-in plugin, registered by name.
	_ "github.com/kapi-dev/kapi/plugins/all"
)

// loadPlugins builds the authenticators, authorizers and admission plugins from the flags and the
// plugin configuration file (host/plugins says how the two combine, and how the file reloads),
// loads them (built-ins, Wasm modules and process plugins of --plugin-dir alike), and takes the
// authenticator, authorizer and admission the chain calls, which follow the file's reloads. Every
// plugin gets host services whose object reads go to the registry.
func loadPlugins(ctx context.Context, s *Server) error {
	cfg := &s.cfg
	flags := plugins.Flags{AnonymousAuth: cfg.AnonymousAuth, AuthorizationModes: cfg.AuthorizationModes, AdmissionPlugins: cfg.EnableAdmissionPlugins}
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
	cacheDir := ""
	if cfg.DataDir != "" {
		cacheDir = filepath.Join(cfg.DataDir, "wasm-cache")
	}
	set, err := plugins.Start(ctx, cfg.PluginConfig, flags, plugins.Options{
		Dir:        cfg.PluginDir,
		CacheDir:   cacheDir,
		Reader:     registryReader{reg: s.registry},
		Registerer: s.metrics.Registry,
		Logger:     slog.Default(),
	})
	if err != nil {
		return err
	}
	s.pluginSet = set
	s.authenticator = set.Authenticator()
	s.authorizer = set.Authorizer()
	s.admission = set.Admission()
	return nil
}
