package plugins

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
)

// configWatch is what Poll knows of the configuration file.
type configWatch struct {
	// path is the file Start was given; empty: the configuration is fixed.
	path string
	// stamp is the state of what the current configuration (or the last failed attempt) came
	// from; pending is a newer one seen on the last poll, applied once a poll sees it unchanged.
	stamp, pending string
	// failed says the last attempt failed: the folders the file names are then part of the stamp,
	// so that one appearing or being fixed retries the file.
	failed bool
}

// Start reads the configuration file (configFile; none when empty), combines it with the flags
// (Effective) and loads it. Watch then reloads the file as well as the plugin folders; the flags
// stay what they were at start.
func Start(ctx context.Context, configFile string, flags Flags, opts Options) (*Set, error) {
	var (
		file *Configuration
		data []byte
	)
	if configFile != "" {
		var err error
		if data, err = os.ReadFile(configFile); err != nil {
			return nil, fmt.Errorf("--plugin-config: plugin configuration: %w", err)
		}
		if file, err = DecodeConfiguration(data); err != nil {
			return nil, fmt.Errorf("--plugin-config: %s: %w", configFile, err)
		}
	}
	cfg, err := Effective(file, flags, opts.Dir)
	if err != nil {
		return nil, err
	}
	s, err := loadSet(ctx, cfg, flags, opts)
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	s.config = configWatch{path: configFile}
	if configFile != "" {
		s.config.stamp = s.configStamp(data, false)
	}
	return s, nil
}

// configStamp names the state of the configuration file's bytes, and with folders, of the plugin
// folders the file names.
func (s *Set) configStamp(data []byte, folders bool) string {
	stamp := fmt.Sprintf("%x;", sha256.Sum256(data))
	if !folders {
		return stamp
	}
	file, err := DecodeConfiguration(data)
	if err != nil {
		return stamp
	}
	for _, list := range [][]Entry{file.Authenticators, file.Authorizers, file.Admission} {
		for _, e := range list {
			if e.Source == SourceBuiltin {
				continue
			}
			fp, err := fingerprint(s.folder(e.Name), nil)
			if err != nil {
				fp = "missing"
			}
			stamp += e.Name + "=" + fp + ";"
		}
	}
	return stamp
}

// pollConfig applies the two-polls rule to the configuration file.
func (s *Set) pollConfig(ctx context.Context) {
	w := &s.config
	data, err := os.ReadFile(w.path)
	stamp := "unreadable"
	if err == nil {
		stamp = s.configStamp(data, w.failed)
	}
	switch {
	case stamp == w.stamp:
		w.pending = ""
		return
	case stamp != w.pending:
		w.pending = stamp // changed: wait for it to settle
		return
	}
	w.pending = ""
	// After a failure the stamp is the one taken with the folders before the attempt, so that a
	// folder that changes during or after it is a change.
	w.stamp = "unreadable"
	if err == nil {
		w.stamp = s.configStamp(data, true)
		err = s.reloadConfig(ctx, data)
	}
	w.failed = err != nil
	if err == nil {
		w.stamp = s.configStamp(data, false)
		return
	}
	err = fmt.Errorf("plugin configuration %s: %w", w.path, err)
	s.logger.Error("plugin configuration reload failed; the old configuration keeps serving", "file", w.path, "err", err)
	s.configReloads.WithLabelValues("failure").Inc()
	s.mu.Lock()
	s.configErr = err
	s.mu.Unlock()
}

// reloadConfig decodes data, loads the configuration it makes with the flags (reusing the running
// units whose entries did not change) and swaps it in; on an error the old one keeps serving.
func (s *Set) reloadConfig(ctx context.Context, data []byte) error {
	file, err := DecodeConfiguration(data)
	if err != nil {
		return err
	}
	cfg, err := Effective(file, s.flags, s.opts.Dir)
	if err != nil {
		return err
	}
	prev := s.gen.load()
	next, err := s.build(ctx, cfg, prev)
	if err != nil {
		return err
	}
	old := s.gen.swap(next)
	s.retire(old, next)
	s.configReloads.WithLabelValues("success").Inc()
	// A plugin the new configuration dropped has no reload failure left to report.
	names := map[string]bool{}
	for _, u := range next.units {
		if u.reload != nil {
			names[u.reload.entry.Name] = true
		}
	}
	s.mu.Lock()
	s.configErr = nil
	for n := range s.reloadErr {
		if !names[n] {
			delete(s.reloadErr, n)
		}
	}
	s.mu.Unlock()
	s.logger.Info("plugin configuration reloaded", "file", s.config.path,
		"authenticators", len(cfg.Authenticators), "authorizers", len(cfg.Authorizers), "admission", len(cfg.Admission))
	return nil
}
