package factory

import (
	"context"
	"errors"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// progressInterval is how often the factory asks each etcd for a progress notification.
const progressInterval = 10 * time.Second

// requestProgress asks etcd for a progress notification on the client's watch streams. The
// etcd3 store opens its watches with clientv3.WithRequireLeader, which selects a stream of its
// own; a request for a stream that does not exist does nothing, so both streams are asked.
func requestProgress(client *clientv3.Client) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		err := client.RequestProgress(clientv3.WithRequireLeader(ctx))
		return errors.Join(err, client.RequestProgress(ctx))
	}
}

// startProgressRequests asks the client's etcd for a progress notification every
// progressInterval, and returns the func that stops it.
//
// Why? Every cache's resourceVersion moves only with events of its own resource, or with progress
// notifications. A resource nobody writes would keep an old revision: its watchers' bookmarks
// would carry it, and after etcd compacts past it any rewatch (the cache's own, or a client's)
// answers 410 and forces a relist. One request per client serves every cache on it, since etcd
// answers it on the shared watch stream and the client hands the answer to every watch there.
func startProgressRequests(client *clientv3.Client) func() {
	ctx, cancel := context.WithCancel(context.Background())
	request := requestProgress(client)
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(progressInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				_ = request(ctx) // best effort: a failure only delays freshness to the next tick
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
