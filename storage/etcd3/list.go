package etcd3

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// GetList is being written.
func (s *Store) GetList(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, error) {
	return nil, errors.New("etcd3: GetList not implemented yet")
}
