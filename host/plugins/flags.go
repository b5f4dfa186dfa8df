package plugins

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kapi-dev/kapi/host/pluginapi"
	builtins "github.com/kapi-dev/kapi/plugins"
)

// Flags are what the command line says about plugins, apart from the configuration file.
type Flags struct {
	// AnonymousAuth is --anonymous-auth: the authenticator union ends with the anonymous user.
	AnonymousAuth bool
	// Authenticators are the ones the flags turn on (x509 for --client-ca-file, tokenfile for
	// --token-auth-file), as built-in entries.
	Authenticators []Entry
	// AuthorizationModes is --authorization-mode, in order.
	AuthorizationModes []string
	// AdmissionPlugins is --enable-admission-plugins, in order.
	AdmissionPlugins []string
}

// Effective combines the configuration file (nil when none is given) with the flags: each list the
// file states replaces the flags' (see the package doc). Names from the flags are built-ins, or
// folders of dir whose manifest gives their source.
func Effective(file *Configuration, flags Flags, dir string) (*Configuration, error) {
	out := &Configuration{APIVersion: APIVersion, Kind: Kind}
	if file != nil {
		*out = *file
	}
	if len(out.Authenticators) == 0 {
		out.Authenticators = flags.Authenticators
	}
	if len(out.Authorizers) == 0 {
		if len(flags.AuthorizationModes) == 0 {
			return nil, fmt.Errorf("--authorization-mode: at least one mode is required")
		}
		entries, err := entriesOf("--authorization-mode", flags.AuthorizationModes, dir)
		if err != nil {
			return nil, err
		}
		out.Authorizers = entries
	}
	if len(out.Admission) == 0 {
		entries, err := entriesOf("--enable-admission-plugins", flags.AdmissionPlugins, dir)
		if err != nil {
			return nil, err
		}
		out.Admission = entries
	}
	return out, nil
}

// entriesOf resolves the names a flag lists.
func entriesOf(flag string, names []string, dir string) ([]Entry, error) {
	seen := map[string]bool{}
	var out []Entry
	for _, name := range names {
		if seen[name] {
			return nil, fmt.Errorf("%s: %q given twice", flag, name)
		}
		seen[name] = true
		if _, ok := builtins.Lookup(name); ok {
			out = append(out, Entry{Name: name, Source: SourceBuiltin})
			continue
		}
		if dir != "" {
			folder := filepath.Join(dir, name)
			if _, err := os.Stat(filepath.Join(folder, ManifestFile)); err == nil {
				man, err := ReadManifest(folder)
				if err != nil {
					return nil, fmt.Errorf("%s: plugin %q: %w", flag, name, err)
				}
				src := SourceWasm
				if man.Mode == pluginapi.ModeProcess {
					src = SourceProcess
				}
				out = append(out, Entry{Name: name, Source: src})
				continue
			}
		}
		return nil, fmt.Errorf("%s: unknown plugin %q", flag, name)
	}
	return out, nil
}
