package etcd3

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// continueToken is the JSON inside a list's continue value, the same as kube-apiserver's so that
// a token means the same thing to both: where to resume (relative to the list's key prefix) and
// the revision the list is pinned at (-1: the newest, after the pinned one was compacted).
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

const continueTokenVersion = "meta.k8s.io/v1"

// errInvalidContinue is wrapped by every decodeContinue error.
var errInvalidContinue = errors.New("continue key is not valid")

// encodeContinue makes the continue value that resumes a list of keyPrefix at key, at revision rv.
func encodeContinue(key, keyPrefix string, rv int64) (string, error) {
	next := strings.TrimPrefix(key, keyPrefix)
	if next == key {
		return "", fmt.Errorf("encoding continue token: key %q is not below prefix %q", key, keyPrefix)
	}
	out, err := json.Marshal(&continueToken{APIVersion: continueTokenVersion, ResourceVersion: rv, StartKey: next})
	if err != nil {
		return "", fmt.Errorf("encoding continue token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// decodeContinue parses a continue value from a client: the etcd key to resume from (always
// below keyPrefix) and the pinned revision. The start key is cleaned as a path so a client cannot
// climb out of keyPrefix with "..".
func decodeContinue(value, keyPrefix string) (fromKey string, rv int64, err error) {
	data, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", errInvalidContinue, err)
	}
	var c continueToken
	if err := json.Unmarshal(data, &c); err != nil {
		return "", 0, fmt.Errorf("%w: %v", errInvalidContinue, err)
	}
	if c.APIVersion != continueTokenVersion {
		return "", 0, fmt.Errorf("%w: server does not recognize this encoded version %q", errInvalidContinue, c.APIVersion)
	}
	if c.ResourceVersion == 0 {
		return "", 0, fmt.Errorf("%w: incorrect encoded start resourceVersion (version %s)", errInvalidContinue, continueTokenVersion)
	}
	if c.StartKey == "" {
		return "", 0, fmt.Errorf("%w: encoded start key empty", errInvalidContinue)
	}
	key := c.StartKey
	if !strings.HasPrefix(key, "/") {
		key = "/" + key
	}
	if cleaned := path.Clean(key); cleaned != key {
		return "", 0, fmt.Errorf("%w: %v", errInvalidContinue, c.StartKey)
	}
	return keyPrefix + key[1:], c.ResourceVersion, nil
}
