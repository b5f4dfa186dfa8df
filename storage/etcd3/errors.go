package etcd3

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/storage"
)

// interpretError turns an etcd client error into a storage error where one fits, and otherwise
// wraps it with the operation and key.
func interpretError(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrCompacted):
		return &storage.Error{Code: storage.ErrCodeResourceExpired, Key: key, Message: "The resourceVersion for the provided " + op + " is too old."}
	case errors.Is(err, rpctypes.ErrNoLeader), errors.Is(err, rpctypes.ErrTimeout),
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail), errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost):
		return &storage.Error{Code: storage.ErrCodeUnreachable, Key: key, Message: "etcd is unreachable", Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("etcd %s %s: %w", op, key, err)
	}
	if s, ok := status.FromError(err); ok && (s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded) {
		return &storage.Error{Code: storage.ErrCodeUnreachable, Key: key, Message: "etcd is unreachable", Err: err}
	}
	return fmt.Errorf("etcd %s %s: %w", op, key, err)
}

// tooLargeResourceVersion is kube's answer to a read that asks for a revision newer than etcd's.
func tooLargeResourceVersion(key string, requested, current uint64) error {
	return &storage.Error{
		Code:            storage.ErrCodeTooLargeResourceVersion,
		Key:             key,
		ResourceVersion: requested,
		Message:         fmt.Sprintf("Too large resource version: %d, current: %d", requested, current),
	}
}

// badRequest is a request kube's etcd3 store answers with 400 BadRequest (a resourceVersion that
// is no number, say). The storage error says InvalidObj; the wrapped Status is kube's exact
// answer, for a registry that passes Status errors through.
func badRequest(key, message string) error {
	return &storage.Error{Code: storage.ErrCodeInvalidObj, Key: key, Message: message, Err: apierrors.NewBadRequest(message)}
}
