package etcd3

import (
	"context"
	"errors"

	"github.com/kapi-dev/kapi/storage"
)

// Watch is being written.
func (s *Store) Watch(ctx context.Context, key string, opts storage.ListOptions) (storage.Watcher, error) {
	return nil, errors.New("etcd3: Watch not implemented yet")
}
