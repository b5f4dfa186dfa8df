// Package tokenfile is the static token authenticator (kube's --token-auth-file): a CSV of
// token,user,uid[,"group1,group2"] lines. Plugins have no filesystem (they must be loadable as
// Wasm), so the configuration carries the file's contents, {"tokens": "<csv text>"}; the server
// reads --token-auth-file and passes them. It imports abi and plugins only.
package tokenfile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/plugins"
)

// Name is the built-in's registered name.
const Name = "tokenfile"

func init() { plugins.Register(Name, func() abi.Plugin { return &Authenticator{} }) }

// Reads is the manifest's reads of its loadable forms (abi/SPEC.md 2.1): the bearer token only;
// headers and certificates are not sent.
var Reads = []string{"/spec/token"}

// Config is the plugin's configuration.
type Config struct {
	// Tokens is the token file's contents, in kube's CSV format.
	Tokens string `json:"tokens"`
}

// Authenticator recognises the tokens of a static token file.
type Authenticator struct {
	tokens map[string]abi.UserInfo
}

var _ abi.Authenticator = (*Authenticator)(nil)

// Provision parses the token file's contents, as kube's tokenfile.NewCSV: every line has at
// least three columns (token, user name, uid); the fourth, if any, is the comma-separated groups;
// lines with an empty token are skipped; a later duplicate token wins.
func (a *Authenticator) Provision(_ context.Context, config []byte, _ abi.Host) error {
	var cfg Config
	if err := plugins.DecodeConfig(config, &cfg); err != nil {
		return err
	}
	tokens, err := Parse(cfg.Tokens)
	if err != nil {
		return err
	}
	a.tokens = tokens
	return nil
}

// Parse reads a token file's contents.
func Parse(text string) (map[string]abi.UserInfo, error) {
	text = strings.TrimPrefix(text, "\uFEFF")
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	tokens := map[string]abi.UserInfo{}
	for line := 1; ; line++ {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("token file: %w", err)
		}
		if len(record) < 3 {
			return nil, fmt.Errorf("token file must have at least 3 columns (token, user name, user uid), found %d on line %d", len(record), line)
		}
		if record[0] == "" {
			continue
		}
		u := abi.UserInfo{Username: record[1], UID: record[2]}
		if len(record) >= 4 {
			u.Groups = strings.Split(record[3], ",")
		}
		tokens[record[0]] = u
	}
	return tokens, nil
}

// Authenticate answers for a known bearer token; an unknown or missing token is not recognised
// (the union decides what that means).
func (a *Authenticator) Authenticate(_ context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if review.Spec.Token == "" {
		return abi.TokenReviewStatus{}, nil
	}
	u, ok := a.tokens[review.Spec.Token]
	if !ok {
		return abi.TokenReviewStatus{}, nil
	}
	u.Groups = append([]string(nil), u.Groups...)
	return abi.TokenReviewStatus{Authenticated: true, User: u}, nil
}

// Close does nothing.
func (a *Authenticator) Close() error { return nil }
