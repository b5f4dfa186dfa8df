package generic

import (
	"errors"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/storage"
)

// optimisticLockErrorMsg is kube's message for a lost compare-and-swap or a stale
// resourceVersion.
const optimisticLockErrorMsg = "the object has been modified; please apply your changes to the latest version and try again"

// statusError turns any error of the store into a Kubernetes Status error: the ONE place where
// storage failures get their HTTP meaning. Errors that already are Status errors pass through;
// anything unknown is an internal error. name is the object the operation concerned (empty for
// lists), requestedRV the resourceVersion the client asked for (for "too large" answers).
func (s *Store) statusError(err error, name, requestedRV string) error {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if se, ok := status.(*apierrors.StatusError); ok {
			return se
		}
		return err
	}
	var se *storage.Error
	if !errors.As(err, &se) {
		return apierrors.NewInternalError(err)
	}
	gr := s.groupResource()
	switch se.Code {
	case storage.ErrCodeKeyNotFound:
		return apierrors.NewNotFound(gr, name)
	case storage.ErrCodeKeyExists:
		return apierrors.NewAlreadyExists(gr, name)
	case storage.ErrCodeConflict:
		return apierrors.NewConflict(gr, name, errors.New(optimisticLockErrorMsg))
	case storage.ErrCodeInvalidObj:
		// kube's storage reports failed preconditions as invalid objects and its registry
		// answers them with a conflict.
		return apierrors.NewConflict(gr, name, errors.New(messageOf(se)))
	case storage.ErrCodeResourceExpired:
		return apierrors.NewResourceExpired(messageOf(se))
	case storage.ErrCodeTooLargeResourceVersion:
		requested, _ := strconv.ParseUint(requestedRV, 10, 64)
		return tooLargeResourceVersion(requested, se.ResourceVersion)
	case storage.ErrCodeInvalidContinue:
		return apierrors.NewBadRequest(messageOf(se))
	case storage.ErrCodeUnreachable:
		return apierrors.NewServiceUnavailable(messageOf(se))
	}
	return apierrors.NewInternalError(err)
}

// messageOf is a storage error's message without its key (keys are internal).
func messageOf(se *storage.Error) string {
	msg := se.Message
	if msg == "" {
		msg = se.Error()
	}
	if se.Err != nil && se.Message != "" {
		msg = fmt.Sprintf("%s: %v", msg, se.Err)
	}
	return msg
}

// tooLargeResourceVersion is kube's answer to a read newer than anything stored: a 504 Timeout
// with a retry hint and the ResourceVersionTooLarge cause that client-go looks for.
func tooLargeResourceVersion(requested, current uint64) error {
	err := apierrors.NewTimeoutError(fmt.Sprintf("Too large resource version: %d, current: %d", requested, current), 1)
	err.ErrStatus.Details.Causes = []metav1.StatusCause{{
		Type:    metav1.CauseTypeResourceVersionTooLarge,
		Message: "Too large resource version",
	}}
	return err
}
