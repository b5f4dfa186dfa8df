package etcd3

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// Store is storage.Interface on one etcd client, below one key prefix.
type Store struct {
	client     *clientv3.Client
	pathPrefix string // always ends in "/"
	codec      storage.Codec
	metrics    *Metrics
	typeLabel  string
	// initialPageSize pages the read behind a watch's initial events (tests make it small).
	initialPageSize int64
}

var _ storage.Interface = (*Store)(nil)

// Option adjusts a Store made by New.
type Option func(*Store)

// WithMetrics records every etcd request of the store in m.
func WithMetrics(m *Metrics) Option {
	return func(s *Store) { s.metrics = m }
}

// WithTypeLabel sets the "type" label of the store's metrics (kube uses the resource, e.g.
// "configmaps" or "deployments.apps"); the default is the Go type of codec.New().
func WithTypeLabel(label string) Option {
	return func(s *Store) { s.typeLabel = label }
}

// New returns a Store that keeps objects under prefix (e.g. "/registry"): the key
// "/configmaps/ns/name" is stored at "/registry/configmaps/ns/name".
func New(client *clientv3.Client, prefix string, codec storage.Codec, opts ...Option) *Store {
	pathPrefix := path.Join("/", prefix)
	if !strings.HasSuffix(pathPrefix, "/") {
		pathPrefix += "/"
	}
	s := &Store{client: client, pathPrefix: pathPrefix, codec: codec, initialPageSize: defaultInitialPageSize}
	for _, o := range opts {
		o(s)
	}
	if s.typeLabel == "" && codec.New != nil {
		s.typeLabel = reflect.TypeOf(codec.New()).String()
	}
	return s
}

// prepareKey turns a relative key into the etcd key, refusing keys that would escape the prefix.
func (s *Store) prepareKey(key string) (string, error) {
	if key == ".." || strings.HasPrefix(key, "../") || strings.HasSuffix(key, "/..") || strings.Contains(key, "/../") ||
		key == "." || strings.HasPrefix(key, "./") || strings.HasSuffix(key, "/.") || strings.Contains(key, "/./") {
		return "", fmt.Errorf("invalid key: %q", key)
	}
	if key == "" || key == "/" {
		return "", fmt.Errorf("empty key: %q", key)
	}
	return s.pathPrefix + strings.TrimPrefix(key, "/"), nil
}

// decode decodes stored bytes into a new object and sets its resourceVersion to rev.
func (s *Store) decode(key string, data []byte, rev int64) (runtime.Object, error) {
	obj := s.codec.New()
	if err := s.codec.Decode(data, obj); err != nil {
		return nil, fmt.Errorf("decoding the object stored at %s: %w", key, err)
	}
	if err := setResourceVersion(obj, rev); err != nil {
		return nil, err
	}
	return obj, nil
}

// encode clears obj's resourceVersion, which is never stored, and encodes it.
func (s *Store) encode(key string, obj runtime.Object) ([]byte, error) {
	if err := setResourceVersion(obj, 0); err != nil {
		return nil, err
	}
	data, err := s.codec.Encode(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding the object for %s: %w", key, err)
	}
	return data, nil
}

func setResourceVersion(obj runtime.Object, rev int64) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Errorf("setting resourceVersion on %T: %w", obj, err)
	}
	v := ""
	if rev > 0 {
		v = strconv.FormatInt(rev, 10)
	}
	m.SetResourceVersion(v)
	return nil
}

// parseResourceVersion parses a resourceVersion; "" is 0.
func parseResourceVersion(key, rv string) (uint64, error) {
	if rv == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return 0, badRequest(key, fmt.Sprintf("invalid resource version: %v", err))
	}
	return v, nil
}

// Create stores obj at key unless the key exists.
func (s *Store) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", key, err)
	}
	if m.GetResourceVersion() != "" {
		return nil, fmt.Errorf("creating %s: resourceVersion should not be set on objects to be created", key)
	}
	data, err := s.encode(key, obj)
	if err != nil {
		return nil, err
	}
	done := s.metrics.start("create", s.typeLabel)
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(preparedKey), "=", 0)).
		Then(clientv3.OpPut(preparedKey, string(data))).
		Commit()
	done()
	if err != nil {
		return nil, interpretError("create", key, err)
	}
	if !resp.Succeeded {
		return nil, storage.NewError(storage.ErrCodeKeyExists, key, "")
	}
	return s.decode(key, data, resp.Header.Revision)
}

// Get returns the object at key.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (runtime.Object, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	minRV, err := parseResourceVersion(key, opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	done := s.metrics.start("get", s.typeLabel)
	resp, err := s.client.Get(ctx, preparedKey)
	done()
	if err != nil {
		return nil, interpretError("get", key, err)
	}
	if minRV > uint64(resp.Header.Revision) {
		return nil, tooLargeResourceVersion(key, minRV, uint64(resp.Header.Revision))
	}
	if len(resp.Kvs) == 0 {
		return nil, storage.NewError(storage.ErrCodeKeyNotFound, key, "")
	}
	kv := resp.Kvs[0]
	return s.decode(key, kv.Value, kv.ModRevision)
}

// objState is an object as read from etcd: decoded, its stored bytes, and its mod revision
// (0 when the key does not exist).
type objState struct {
	obj    runtime.Object
	data   []byte
	rev    int64
	exists bool
}

// getState reads the state of key from a range response; a missing key is an error unless
// ignoreNotFound, which gives an empty object instead.
func (s *Store) getState(key string, resp *clientv3.GetResponse, ignoreNotFound bool) (*objState, error) {
	if len(resp.Kvs) == 0 {
		if !ignoreNotFound {
			return nil, storage.NewError(storage.ErrCodeKeyNotFound, key, "")
		}
		return &objState{obj: s.codec.New()}, nil
	}
	kv := resp.Kvs[0]
	obj, err := s.decode(key, kv.Value, kv.ModRevision)
	if err != nil {
		return nil, err
	}
	return &objState{obj: obj, data: kv.Value, rev: kv.ModRevision, exists: true}, nil
}

func (s *Store) currentState(ctx context.Context, key, preparedKey string, ignoreNotFound bool) (*objState, error) {
	done := s.metrics.start("get", s.typeLabel)
	resp, err := s.client.Get(ctx, preparedKey)
	done()
	if err != nil {
		return nil, interpretError("get", key, err)
	}
	return s.getState(key, resp, ignoreNotFound)
}

// checkPreconditions compares preconditions with obj, as kube's storage.Preconditions.Check,
// but answers ErrCodeConflict.
func checkPreconditions(key string, p *storage.Preconditions, obj runtime.Object) error {
	if p == nil {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Errorf("checking preconditions of %s: %w", key, err)
	}
	if p.UID != nil && *p.UID != string(m.GetUID()) {
		return storage.NewError(storage.ErrCodeConflict, key,
			fmt.Sprintf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return storage.NewError(storage.ErrCodeConflict, key,
			fmt.Sprintf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, m.GetResourceVersion()))
	}
	return nil
}

// GuaranteedUpdate applies tryUpdate to the current object and stores the result with a
// compare-and-swap on the key's mod revision, retrying on a lost race. When tryUpdate changes
// nothing (the encoded bytes are equal), nothing is written and the current object returned.
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc) (runtime.Object, error) {
	return s.GuaranteedUpdateFrom(ctx, key, preconditions, ignoreNotFound, tryUpdate, nil)
}

// GuaranteedUpdateFrom is GuaranteedUpdate starting from suggestion, the object at key as a
// cache holds it (its resourceVersion the mod revision it was read at), instead of from a read of
// etcd, as kube's store starts from the watch cache's copy (cachedExistingObject). When the
// suggestion is current, that saves an etcd round trip per update. When it is stale, the
// compare-and-swap fails, or a precondition, tryUpdate or the no-change check fails on it, and
// the update starts again from what etcd holds, so the outcome is always GuaranteedUpdate's. A nil
// suggestion, or one without a resourceVersion, is GuaranteedUpdate.
func (s *Store) GuaranteedUpdateFrom(ctx context.Context, key string, preconditions *storage.Preconditions, ignoreNotFound bool, tryUpdate storage.UpdateFunc, suggestion runtime.Object) (runtime.Object, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	state, current := s.suggestedState(key, suggestion), false
	if state == nil {
		if state, err = s.currentState(ctx, key, preparedKey, ignoreNotFound); err != nil {
			return nil, err
		}
		current = true
	}
	// fromEtcd replaces a suggested state that did not hold with what etcd holds.
	fromEtcd := func() error {
		state, err = s.currentState(ctx, key, preparedKey, ignoreNotFound)
		current = true
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("updating %s: %w", key, err)
		}
		if err := checkPreconditions(key, preconditions, state.obj); err != nil {
			if !current {
				if err := fromEtcd(); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		// tryUpdate gets an object of its own: a suggested state's is already a private copy,
		// and no path below reads it again (each retry starts from a fresh state), so only
		// the current state, which the no-change path returns, is copied.
		given := state.obj
		if current {
			given = given.DeepCopyObject()
		}
		updated, err := tryUpdate(given)
		if err != nil {
			if !current {
				if err := fromEtcd(); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		data, err := s.encode(key, updated)
		if err != nil {
			return nil, err
		}
		if state.exists && bytes.Equal(data, state.data) {
			if !current {
				// Only etcd can say that nothing changes.
				if err := fromEtcd(); err != nil {
					return nil, err
				}
				continue
			}
			// Nothing changed: write nothing, so the resourceVersion stays (as kube does).
			return state.obj, nil
		}
		done := s.metrics.start("update", s.typeLabel)
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(preparedKey), "=", state.rev)).
			Then(clientv3.OpPut(preparedKey, string(data))).
			Else(clientv3.OpGet(preparedKey)).
			Commit()
		done()
		if err != nil {
			return nil, interpretError("update", key, err)
		}
		if !resp.Succeeded {
			// Lost the race (or the suggestion was stale): start again from what etcd holds.
			state, err = s.getState(key, (*clientv3.GetResponse)(resp.Responses[0].GetResponseRange()), ignoreNotFound)
			if err != nil {
				return nil, err
			}
			current = true
			continue
		}
		return s.decode(key, data, resp.Header.Revision)
	}
}

// suggestedState is the state a suggested object stands for, or nil when there is none to use.
func (s *Store) suggestedState(key string, suggestion runtime.Object) *objState {
	if suggestion == nil {
		return nil
	}
	m, err := meta.Accessor(suggestion)
	if err != nil {
		return nil
	}
	rev, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil || rev <= 0 {
		return nil
	}
	// Encoded as it would be stored, for the no-change check, from a copy that becomes the
	// state's object: encoding clears the resourceVersion, and the caller's object (a cache's)
	// must not change.
	obj := suggestion.DeepCopyObject()
	data, err := s.encode(key, obj)
	if err != nil {
		return nil
	}
	if err := setResourceVersion(obj, rev); err != nil {
		return nil
	}
	return &objState{obj: obj, data: data, rev: rev, exists: true}
}

// Delete removes the object at key when preconditions hold and validate accepts it, and returns
// it with the deletion's revision as its resourceVersion.
func (s *Store) Delete(ctx context.Context, key string, preconditions *storage.Preconditions, validate func(current runtime.Object) error) (runtime.Object, error) {
	preparedKey, err := s.prepareKey(key)
	if err != nil {
		return nil, err
	}
	state, err := s.currentState(ctx, key, preparedKey, false)
	if err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("deleting %s: %w", key, err)
		}
		if err := checkPreconditions(key, preconditions, state.obj); err != nil {
			return nil, err
		}
		if validate != nil {
			if err := validate(state.obj.DeepCopyObject()); err != nil {
				return nil, err
			}
		}
		done := s.metrics.start("delete", s.typeLabel)
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(preparedKey), "=", state.rev)).
			Then(clientv3.OpDelete(preparedKey)).
			Else(clientv3.OpGet(preparedKey)).
			Commit()
		done()
		if err != nil {
			return nil, interpretError("delete", key, err)
		}
		if !resp.Succeeded {
			state, err = s.getState(key, (*clientv3.GetResponse)(resp.Responses[0].GetResponseRange()), false)
			if err != nil {
				return nil, err
			}
			continue
		}
		return s.decode(key, state.data, resp.Header.Revision)
	}
}

// CurrentResourceVersion is etcd's current revision, read with a quorum count-only range.
func (s *Store) CurrentResourceVersion(ctx context.Context) (uint64, error) {
	done := s.metrics.start("getCurrentResourceVersion", s.typeLabel)
	resp, err := s.client.Get(ctx, s.pathPrefix, clientv3.WithCountOnly())
	done()
	if err != nil {
		return 0, interpretError("get", s.pathPrefix, err)
	}
	return uint64(resp.Header.Revision), nil
}
