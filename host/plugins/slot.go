package plugins

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kapi-dev/kapi/abi"
)

// version is one loaded version of a reloadable plugin, guarded by its failure policy, with the
// count of calls it is serving.
type version struct {
	plugin   abi.Plugin
	inflight atomic.Int64
}

// slot holds the current version of a reloadable plugin. Calls acquire the current version and
// release it when done; a swap installs a new version and closes the old one once no call holds
// it, so no call ever meets a closed plugin.
type slot struct {
	name    string
	current atomic.Pointer[version]
	closers sync.WaitGroup
	closed  atomic.Bool
}

func newSlot(name string, p abi.Plugin) *slot {
	s := &slot{name: name}
	s.current.Store(&version{plugin: p})
	return s
}

// acquire returns the current version with a call counted on it. The second load catches a swap
// that happened between the first load and the count: the call then retries on the new version,
// and the old version's closer, which may already have seen zero calls, never races with it.
func (s *slot) acquire() *version {
	for {
		v := s.current.Load()
		v.inflight.Add(1)
		if s.current.Load() == v {
			return v
		}
		v.inflight.Add(-1)
	}
}

func (v *version) release() { v.inflight.Add(-1) }

// swap installs p as the current version and closes the old one in the background once its
// calls in flight end.
func (s *slot) swap(p abi.Plugin) {
	old := s.current.Swap(&version{plugin: p})
	s.closers.Add(1)
	go func() {
		defer s.closers.Done()
		drain(old)
	}()
}

// drain waits for a retired version's calls to end, then closes it.
func drain(v *version) {
	for v.inflight.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_ = v.plugin.Close()
}

// close waits for retired versions to close, then closes the current one after its calls end.
func (s *slot) close() {
	if s.closed.Swap(true) {
		return
	}
	s.closers.Wait()
	drain(s.current.Load())
}

// The handles below are what the server's chain holds: one per kind, each forwarding to the
// slot's current version. They never change, so the chain needs no reload logic of its own.

type authnHandle struct{ *slot }

func (h authnHandle) Authenticate(ctx context.Context, review *abi.TokenReview) (abi.TokenReviewStatus, error) {
	v := h.acquire()
	defer v.release()
	return v.plugin.(abi.Authenticator).Authenticate(ctx, review)
}

type authzHandle struct{ *slot }

func (h authzHandle) Authorize(ctx context.Context, review *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	v := h.acquire()
	defer v.release()
	return v.plugin.(abi.Authorizer).Authorize(ctx, review)
}

type mutatingHandle struct{ *slot }

func (h mutatingHandle) Admit(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	v := h.acquire()
	defer v.release()
	return v.plugin.(abi.MutatingAdmission).Admit(ctx, review)
}

type validatingHandle struct{ *slot }

func (h validatingHandle) Validate(ctx context.Context, review *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	v := h.acquire()
	defer v.release()
	return v.plugin.(abi.ValidatingAdmission).Validate(ctx, review)
}
