package plugins

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
)

// counted is one value behind a current pointer, with the count of calls holding it.
type counted[T any] struct {
	value    T
	inflight atomic.Int64
}

func (c *counted[T]) release() { c.inflight.Add(-1) }

// drain waits for the calls holding c to end.
func (c *counted[T]) drain() {
	for c.inflight.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

// current is an atomic pointer whose readers are counted, so that a value swapped out is released
// (closed) only once no call holds it. Reloads use it twice: for a plugin's current version (a
// slot) and for the current configuration's chains (a Set's generation).
type current[T any] struct{ p atomic.Pointer[counted[T]] }

func (c *current[T]) store(v T) { c.p.Store(&counted[T]{value: v}) }

// acquire returns the current value with a call counted on it. The second load catches a swap
// that happened between the first load and the count: the call then retries on the new value,
// and the old value's drain, which may already have seen zero calls, never races with it.
func (c *current[T]) acquire() *counted[T] {
	for {
		v := c.p.Load()
		v.inflight.Add(1)
		if c.p.Load() == v {
			return v
		}
		v.inflight.Add(-1)
	}
}

// swap installs v and returns the value it replaced, whose calls may still be in flight.
func (c *current[T]) swap(v T) *counted[T] { return c.p.Swap(&counted[T]{value: v}) }

// load returns the current value without counting a call, for what does not call into it.
func (c *current[T]) load() T { return c.p.Load().value }

// slot holds the current version of a reloadable plugin, guarded by its failure policy. Calls
// acquire the current version and release it when done; a swap installs a new version and closes
// the old one once no call holds it, so no call ever meets a closed plugin.
type slot struct {
	name    string
	version current[abi.Plugin]
	closers sync.WaitGroup
	closed  atomic.Bool
}

func newSlot(name string, p abi.Plugin) *slot {
	s := &slot{name: name}
	s.version.store(p)
	return s
}

// swap installs p as the current version and closes the old one in the background once its
// calls in flight end.
func (s *slot) swap(p abi.Plugin) {
	old := s.version.swap(p)
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		old.drain()
		_ = old.value.Close()
	}()
}

// close waits for retired versions to close, then closes the current one after its calls end.
func (s *slot) close() {
	if s.closed.Swap(true) {
		return
	}
	s.closers.Wait()
	v := s.version.p.Load()
	v.drain()
	_ = v.value.Close()
}

// The handles below are what the chains hold: one per kind, each forwarding to the slot's
// current version. They never change, so the chains need no reload logic of their own.

type authnHandle struct{ *slot }

func (h authnHandle) Authenticate(ctx context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	v := h.version.acquire()
	defer v.release()
	return v.value.(abi.Authenticator).Authenticate(ctx, review)
}

type authzHandle struct{ *slot }

func (h authzHandle) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	v := h.version.acquire()
	defer v.release()
	return v.value.(abi.Authorizer).Authorize(ctx, review)
}

type mutatingHandle struct{ *slot }

func (h mutatingHandle) Admit(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	v := h.version.acquire()
	defer v.release()
	return v.value.(abi.MutatingAdmission).Admit(ctx, review)
}

// Matches is the current version's rules (admission.Selective); a version without rules matches
// every request.
func (s *slot) Matches(r *abi.AdmissionRequest) bool {
	sel, ok := s.version.load().(admission.Selective)
	return !ok || sel.Matches(r)
}

type validatingHandle struct{ *slot }

func (h validatingHandle) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	v := h.version.acquire()
	defer v.release()
	return v.value.(abi.ValidatingAdmission).Validate(ctx, review)
}
