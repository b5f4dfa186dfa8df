package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/health"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// reloadable is a wasm or process plugin of the directory and what Watch knows of its files.
type reloadable struct {
	entry Entry
	kind  abi.Kind
	slot  *slot
	// stamp is the fingerprint of the files the running version came from; pending is a newer
	// one seen on the last poll, loaded once a poll sees it unchanged.
	stamp, pending string
}

func (r *reloadable) member() Member {
	m := Member{Name: r.entry.Name}
	switch r.kind {
	case abi.KindAuthenticator:
		m.Authenticator = authnHandle{r.slot}
	case abi.KindAuthorizer:
		m.Authorizer = authzHandle{r.slot}
	case abi.KindMutatingAdmission:
		m.Mutating = mutatingHandle{r.slot}
	case abi.KindValidatingAdmission:
		m.Validating = validatingHandle{r.slot}
	}
	return m
}

// fingerprint names the state of a plugin folder's files: the manifest's and the entry's sizes and
// modification times, and a hash of the manifest (small, and the file an edit in place with a
// preserved mtime would touch). The entry is not hashed: an executable may be tens of MiB, read
// every poll. man may be nil (the manifest is read for its entry).
func fingerprint(dir string, man *pluginapi.Manifest) (string, error) {
	var b strings.Builder
	stat := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s:%d:%d;", filepath.Base(p), fi.Size(), fi.ModTime().UnixNano())
		return nil
	}
	if err := stat(filepath.Join(dir, ManifestFile)); err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "%x;", sha256.Sum256(data))
	if man == nil {
		m, err := ReadManifest(dir)
		if err != nil {
			// The stamp of a broken manifest is its own, so that fixing it is a change.
			return b.String(), nil
		}
		man = m
	}
	if err := stat(filepath.Join(dir, man.Entry)); err != nil {
		fmt.Fprintf(&b, "%s:missing;", man.Entry)
	}
	return b.String(), nil
}

// Watch polls the plugin directory, and the configuration file when Start was given one, until
// ctx ends, hot-reloading changed plugins and configurations (see the package doc).
func (s *Set) Watch(ctx context.Context) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Poll(ctx)
		}
	}
}

// Poll looks once at the configuration file (when there is one), then at the folders of the
// current configuration's wasm and process plugins: what changed since the last poll is noted;
// what was noted and is unchanged since is reloaded. Watch calls it on every tick; tests call it
// directly.
func (s *Set) Poll(ctx context.Context) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if s.config.path != "" {
		s.pollConfig(ctx)
	}
	for _, u := range s.gen.load().units {
		if r := u.reload; r != nil {
			s.pollFolder(ctx, r)
		}
	}
}

// pollFolder applies the two-polls rule to one plugin's folder.
func (s *Set) pollFolder(ctx context.Context, r *reloadable) {
	stamp, err := fingerprint(s.folder(r.entry.Name), nil)
	if err != nil {
		stamp = "missing"
	}
	switch {
	case stamp == r.stamp:
		r.pending = ""
	case stamp != r.pending:
		r.pending = stamp // changed: wait for it to settle
	default:
		r.stamp, r.pending = stamp, ""
		s.reload(ctx, r)
	}
}

// reload loads the new version of r beside the old one and swaps it in, or reports why not.
func (s *Set) reload(ctx context.Context, r *reloadable) {
	name := r.entry.Name
	man, p, err := s.loadFolder(ctx, r.entry)
	if err == nil && man.Kind != r.kind {
		_ = p.Close()
		err = fmt.Errorf("the new manifest's kind is %s, the running version's %s: a kind changes only with a restart", man.Kind, r.kind)
	}
	if err != nil {
		err = fmt.Errorf("plugin %q: %w", name, err)
		s.logger.Error("plugin reload failed; the old version keeps serving", "plugin", name, "err", err)
		s.reloadFailures.WithLabelValues(name).Inc()
		s.mu.Lock()
		s.reloadErr[name] = err
		s.mu.Unlock()
		return
	}
	r.slot.swap(p)
	s.mu.Lock()
	delete(s.reloadErr, name)
	s.mu.Unlock()
	s.logger.Info("plugin reloaded", "plugin", name, "mode", man.Mode)
}

// ReloadError is the last failed configuration reload, if the configuration has not loaded since,
// and the last failed reload of each plugin still failing, joined; nil when none.
func (s *Set) ReloadError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.reloadErr))
	for n := range s.reloadErr {
		names = append(names, n)
	}
	sort.Strings(names)
	errs := make([]error, 0, len(names)+1)
	errs = append(errs, s.configErr)
	for _, n := range names {
		errs = append(errs, s.reloadErr[n])
	}
	return errors.Join(errs...)
}

// ReadyzCheck is the informational readyz check "plugin-reload": it fails while a reload failed
// (with the reason), without making the server unready, since the old version (or configuration)
// still serves.
func (s *Set) ReadyzCheck() health.Check {
	return health.Check{Name: "plugin-reload", Informational: true, Run: func(*http.Request) error { return s.ReloadError() }}
}
