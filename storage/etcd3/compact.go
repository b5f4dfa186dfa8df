package etcd3

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// compactRevKey is the key kube-apiserver's compactors coordinate through; using the same key
// lets kapi replicas (and kube-apiservers) on one etcd share the work.
const compactRevKey = "compact_rev_key"

// StartCompactor compacts etcd every interval to the revision it saw one interval earlier, so
// etcd keeps about one interval of history (kube-apiserver's approach). Several compactors on
// one etcd agree through a compare-and-swap on compact_rev_key's version, so only one of them
// compacts each interval. interval 0 disables it. stop ends the compactor and waits for it.
func StartCompactor(ctx context.Context, client *clientv3.Client, interval time.Duration) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		var c compactor
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			if err := c.compact(ctx, client); err != nil && ctx.Err() == nil {
				slog.Error("etcd compaction failed", "endpoints", client.Endpoints(), "err", err)
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// compactor is one compactor's memory between rounds: the compaction round (compact_rev_key's
// version) it last saw, and etcd's revision at that moment.
type compactor struct {
	round int64
	rev   int64
}

// compact runs one round. If nobody has started a round since ours, it claims the next round
// (incrementing compact_rev_key's version) and compacts to the revision remembered from the last
// round; otherwise another compactor did the work, and it only catches up with the round.
// Either way it remembers the current revision as the target of the next round.
func (c *compactor) compact(ctx context.Context, client *clientv3.Client) error {
	resp, err := client.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(compactRevKey), "=", c.round)).
		Then(clientv3.OpPut(compactRevKey, strconv.FormatInt(c.rev, 10))).
		Else(clientv3.OpGet(compactRevKey)).
		Commit()
	if err != nil {
		return fmt.Errorf("claiming compaction round %d: %w", c.round+1, err)
	}
	target := c.rev
	c.rev = resp.Header.Revision
	if !resp.Succeeded {
		c.round = 0
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			c.round = kvs[0].Version
		}
		return nil
	}
	c.round++
	if target == 0 {
		// The first round only learns the revision; there is no interval of history yet.
		return nil
	}
	if _, err := client.Compact(ctx, target); err != nil {
		return fmt.Errorf("compacting to revision %d: %w", target, err)
	}
	return nil
}
