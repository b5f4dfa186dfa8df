package storage

import (
	"errors"
	"fmt"
)

// ErrorCode classifies a storage failure.
type ErrorCode int

// Storage error codes. The registry maps them to Kubernetes Status reasons:
// KeyNotFound -> NotFound (404), KeyExists -> AlreadyExists (409), Conflict -> Conflict (409),
// ResourceExpired -> Expired/Gone (410), InvalidObj -> Invalid/BadRequest, Unreachable ->
// ServiceUnavailable (503), TooLargeResourceVersion -> Timeout with retry (504 as kube does),
// InvalidContinue -> BadRequest (400).
const (
	ErrCodeKeyNotFound ErrorCode = iota + 1
	ErrCodeKeyExists
	ErrCodeConflict // resourceVersion or uid precondition failed, or a CAS was lost
	ErrCodeResourceExpired
	ErrCodeInvalidObj
	ErrCodeUnreachable
	ErrCodeTooLargeResourceVersion
	ErrCodeInvalidContinue
)

// Error is a storage failure with the key it concerns.
type Error struct {
	Code            ErrorCode
	Key             string
	ResourceVersion uint64
	Message         string
	Err             error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = codeText[e.Code]
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Key, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Key, msg)
}

func (e *Error) Unwrap() error { return e.Err }

var codeText = map[ErrorCode]string{
	ErrCodeKeyNotFound:             "key not found",
	ErrCodeKeyExists:               "key exists",
	ErrCodeConflict:                "precondition failed",
	ErrCodeResourceExpired:         "resource version too old",
	ErrCodeInvalidObj:              "invalid object",
	ErrCodeUnreachable:             "storage unreachable",
	ErrCodeTooLargeResourceVersion: "resource version too large",
	ErrCodeInvalidContinue:         "invalid continue token",
}

// NewError returns an *Error.
func NewError(code ErrorCode, key, message string) *Error {
	return &Error{Code: code, Key: key, Message: message}
}

// IsCode reports whether err is a storage *Error with the code.
func IsCode(err error, code ErrorCode) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
