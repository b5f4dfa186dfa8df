package factory

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/storage/etcd3"
)

// startCompactor compacts the client's etcd every cfg.CompactionInterval (0 disables it) and
// returns the func that stops it. One compactor per etcd cluster: several on one cluster (say,
// several kapi replicas) agree among themselves, as kube-apiserver's do.
func (f *Factory) startCompactor(c *clientv3.Client) func() {
	return etcd3.StartCompactor(context.Background(), c, f.cfg.CompactionInterval)
}
