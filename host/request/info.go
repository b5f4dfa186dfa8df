// Package request carries the facts about a request that every stage of the handler chain reads
// from the request context: its RequestInfo (parsed once from the path), its user, and its
// received time. It imports nothing of ours but abi.
package request

import (
	"context"
	"time"

	"github.com/kapi-dev/kapi/abi"
)

// Info is what a request asks for, parsed once from its method, path and query by the RequestInfo
// filter, as kube-apiserver's RequestInfo.
type Info struct {
	// IsResourceRequest is false for non-resource paths (/healthz, /version, discovery roots ...).
	IsResourceRequest bool
	Path              string
	// Verb is get, list, watch, create, update, patch, delete, deletecollection for resource
	// requests (and the special verbs impersonate, bind, escalate when authorizing them); the
	// lower-cased HTTP method for non-resource requests.
	Verb        string
	APIPrefix   string // "api" or "apis"
	APIGroup    string // "" for the core group
	APIVersion  string
	Namespace   string
	Resource    string
	Subresource string
	Name        string
	Parts       []string
}

type contextKey int

const (
	infoKey contextKey = iota
	userKey
	receivedKey
	auditIDKey
)

// WithInfo returns a context carrying info.
func WithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey, info)
}

// InfoFrom returns the request's Info, if the RequestInfo filter has run.
func InfoFrom(ctx context.Context) (*Info, bool) {
	info, ok := ctx.Value(infoKey).(*Info)
	return info, ok
}

// WithUser returns a context carrying the authenticated user.
func WithUser(ctx context.Context, user *abi.UserInfo) context.Context {
	return context.WithValue(ctx, userKey, user)
}

// UserFrom returns the request's authenticated user, if authentication has run.
func UserFrom(ctx context.Context) (*abi.UserInfo, bool) {
	u, ok := ctx.Value(userKey).(*abi.UserInfo)
	return u, ok
}

// WithReceived returns a context carrying the time the request was received.
func WithReceived(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, receivedKey, t)
}

// ReceivedFrom returns the time the request was received.
func ReceivedFrom(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(receivedKey).(time.Time)
	return t, ok
}

// WithAuditID returns a context carrying the request's ID (the Audit-ID header's value).
func WithAuditID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, auditIDKey, id)
}

// AuditIDFrom returns the request's ID.
func AuditIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(auditIDKey).(string)
	return id
}
