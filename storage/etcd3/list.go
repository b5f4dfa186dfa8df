package etcd3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// maxPageFetch caps how many keys one etcd range asks for when a filtering list keeps fetching
// to fill its page (kube doubles the fetch size up to the same cap).
const maxPageFetch = 10000

// kube-apiserver's messages for lists at a compacted revision.
const (
	expiredListMessage = "The resourceVersion for the provided list is too old."
	continueExpiredMsg = "The provided continue parameter is too old to display a consistent list result. " +
		"You can start a new list without the continue parameter."
	inconsistentContinueMsg = "The provided continue parameter is too old to display a consistent list result. " +
		"You can start a new list without the continue parameter, or use the continue token in this response to " +
		"retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - " +
		"objects that were created, modified, or deleted between the time the first chunk was returned and now may " +
		"show up in the list."
)

// GetList lists the objects below key (or the one object at key when not opts.Recursive) that
// match opts.Predicate, paging by Predicate.Limit and Predicate.Continue as kube's etcd3 store.
func (s *Store) GetList(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	if opts.Recursive && !strings.HasSuffix(preparedKey, "/") {
		preparedKey += "/"
	}
	keyPrefix := preparedKey
	listObj := s.codec.NewList()
	if _, err := meta.ListAccessor(listObj); err != nil {
		return nil, fmt.Errorf("listing %s: NewList gives no list: %w", key, err)
	}
	pred := opts.Predicate
	limit := pred.Limit
	if limit < 0 {
		limit = 0
	}
	paging := limit > 0

	fromRV, err := parseResourceVersion(key, opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	// returnedRV is the list's resourceVersion; withRev, when not 0, pins every read to it.
	var returnedRV, withRev int64
	var continueKey string
	switch {
	case opts.Recursive && pred.Continue != "":
		var continueRV int64
		continueKey, continueRV, err = decodeContinue(pred.Continue, keyPrefix)
		if err != nil {
			return nil, &storage.Error{Code: storage.ErrCodeInvalidContinue, Key: key, Message: fmt.Sprintf("invalid continue token: %v", err)}
		}
		if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
			return nil, badRequest(key, "specifying resource version is not allowed when using continue")
		}
		preparedKey = continueKey
		// A negative revision is a token handed out after compaction: continue at the newest.
		if continueRV > 0 {
			withRev, returnedRV = continueRV, continueRV
		}
	case fromRV > 0:
		switch opts.ResourceVersionMatch {
		case string(metav1.ResourceVersionMatchNotOlderThan):
			// Read the newest; checked against fromRV below.
		case string(metav1.ResourceVersionMatchExact):
			withRev, returnedRV = int64(fromRV), int64(fromRV)
		case "":
			// kube's legacy meaning: a limited list at a resourceVersion is an exact read.
			if paging && opts.Recursive {
				withRev, returnedRV = int64(fromRV), int64(fromRV)
			}
		default:
			return nil, badRequest(key, fmt.Sprintf("unknown ResourceVersionMatch value: %v", opts.ResourceVersionMatch))
		}
	}

	listOperation := "get"
	if opts.Recursive {
		listOperation = "list"
	}
	rangeOpts := func() []clientv3.OpOption {
		var o []clientv3.OpOption
		if opts.Recursive {
			o = append(o, clientv3.WithRange(clientv3.GetPrefixRangeEnd(keyPrefix)))
		}
		if withRev != 0 {
			o = append(o, clientv3.WithRev(withRev))
		}
		if paging {
			o = append(o, clientv3.WithLimit(limit))
		}
		return o
	}

	var items []runtime.Object
	var lastKey []byte
	var hasMore bool
	var resp *clientv3.GetResponse
	for {
		done := s.metrics.start(listOperation, s.typeLabel)
		resp, err = s.client.Get(ctx, preparedKey, rangeOpts()...)
		done()
		if err != nil {
			return nil, s.interpretListError(ctx, key, err, pred.Continue != "", continueKey, keyPrefix, max(fromRV, uint64(max(withRev, 0))))
		}
		if fromRV > uint64(resp.Header.Revision) {
			return nil, tooLargeResourceVersion(key, fromRV, uint64(resp.Header.Revision))
		}
		hasMore = resp.More
		if len(resp.Kvs) == 0 && hasMore {
			return nil, fmt.Errorf("listing %s: etcd returned no keys but said more remain", key)
		}
		for _, kv := range resp.Kvs {
			if paging && int64(len(items)) >= pred.Limit {
				hasMore = true
				break
			}
			lastKey = kv.Key
			obj, err := s.decode(string(kv.Key), kv.Value, kv.ModRevision)
			if err != nil {
				return nil, err
			}
			// As kube, an object whose attributes cannot be read does not match.
			if ok, err := pred.Matches(obj); err == nil && ok {
				items = append(items, obj)
			}
		}
		if returnedRV == 0 {
			returnedRV = resp.Header.Revision
		}
		if !hasMore || !paging || int64(len(items)) >= pred.Limit {
			break
		}
		// The predicate filtered part of the page: fetch more, pinned at the same revision.
		if limit < maxPageFetch {
			limit = min(limit*2, maxPageFetch)
		}
		preparedKey = string(lastKey) + "\x00"
		if withRev == 0 {
			withRev = returnedRV
		}
	}

	if items == nil {
		items = []runtime.Object{}
	}
	if err := meta.SetList(listObj, items); err != nil {
		return nil, fmt.Errorf("listing %s: %w", key, err)
	}
	listMeta, _ := meta.ListAccessor(listObj)
	listMeta.SetResourceVersion(fmt.Sprint(returnedRV))
	if hasMore {
		next, err := encodeContinue(string(lastKey)+"\x00", keyPrefix, returnedRV)
		if err != nil {
			return nil, err
		}
		listMeta.SetContinue(next)
		// etcd's count includes keys the predicate would drop, so kube only reports the remaining
		// count for unfiltered lists.
		if pred.Empty() {
			remaining := resp.Count - pred.Limit
			listMeta.SetRemainingItemCount(&remaining)
		}
	}
	return listObj, nil
}

// interpretListError turns a list read's failure into kube's answer: a compacted revision is
// 410 Expired; a revision from the future is TooLargeResourceVersion.
//
// For a continued list, kube answers 410 with a continue token in the Status's metadata that
// resumes the list at the newest revision. That answer needs a Status, so the storage error
// wraps kube's exact *apierrors.StatusError: storage.IsCode still sees ResourceExpired, and
// errors.As finds the Status with its token.
func (s *Store) interpretListError(ctx context.Context, key string, err error, continuing bool, continueKey, keyPrefix string, fromRV uint64) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted) && continuing:
		expired := &storage.Error{Code: storage.ErrCodeResourceExpired, Key: key, Message: continueExpiredMsg}
		next, encErr := encodeContinue(continueKey, keyPrefix, -1)
		if encErr != nil {
			return expired
		}
		status := apierrors.NewResourceExpired(inconsistentContinueMsg)
		status.ErrStatus.ListMeta.Continue = next
		expired.Message, expired.Err = inconsistentContinueMsg, status
		return expired
	case errors.Is(err, rpctypes.ErrCompacted):
		return &storage.Error{Code: storage.ErrCodeResourceExpired, Key: key, ResourceVersion: fromRV, Message: expiredListMessage}
	case errors.Is(err, rpctypes.ErrFutureRev):
		cur, curErr := s.CurrentResourceVersion(ctx)
		if curErr != nil {
			return interpretError("list", key, err)
		}
		return tooLargeResourceVersion(key, fromRV, cur)
	}
	return interpretError("list", key, err)
}
