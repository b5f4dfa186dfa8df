// Command testplugin is the process plugin host/process's tests run: one value serving every kind,
// whose Authorize misbehaves on demand, chosen by the review's user, so that one build serves every
// robustness test. Started under the name "garbage-first" it writes to stdout before the handshake;
// under the name "abi-two" it speaks ABI major version 2.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/sdk/process"
)

type config struct {
	// Prefix starts every reason Authorize gives.
	Prefix string `json:"prefix,omitempty"`
	// Refuse makes Provision fail.
	Refuse bool `json:"refuse,omitempty"`
}

type plugin struct {
	config config
	host   abi.Host
	// inFlight counts the "overlap" calls running; most is the most seen at once.
	inFlight, most atomic.Int64
}

// held keeps what "alloc" allocated reachable, so no collection can give it back.
var held struct {
	sync.Mutex
	chunks [][]byte
}

func (p *plugin) Provision(_ context.Context, raw []byte, host abi.Host) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c config
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("testplugin config: %w", err)
	}
	if c.Refuse {
		return errors.New("testplugin refuses this configuration")
	}
	p.config, p.host = c, host
	return nil
}

func (p *plugin) Close() error { return nil }

var namespaces = abi.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func (p *plugin) Authorize(ctx context.Context, r *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	ns := ""
	if r.Spec.ResourceAttributes != nil {
		ns = r.Spec.ResourceAttributes.Namespace
	}
	reason := ""
	switch r.Spec.User {
	case "crash":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	case "panic":
		panic("testplugin was asked to panic")
	case "fail":
		return abi.SubjectAccessReviewStatus{}, errors.New("testplugin was asked to fail")
	case "garbage":
		fmt.Println("garbage on os.Stdout after the handshake")
		_, _ = os.NewFile(1, "fd1").WriteString("garbage on file descriptor 1 after the handshake\n")
		fmt.Fprintln(os.Stderr, "garbage on os.Stderr after the handshake")
	case "pid":
		reason = strconv.Itoa(os.Getpid())
	case "alloc":
		// Allocates and touches 1 MiB at a time, up to 1 GiB, far past the memory limit the
		// tests set: the process is expected to die on the way.
		held.Lock()
		for len(held.chunks) < 1024 {
			chunk := make([]byte, 1<<20)
			for i := range chunk {
				chunk[i] = byte(i)
			}
			held.chunks = append(held.chunks, chunk)
		}
		held.Unlock()
		reason = "allocated 1 GiB"
	case "overlap":
		// Stays a while, so that calls let through together overlap; says the most seen at once.
		n := p.inFlight.Add(1)
		for m := p.most.Load(); n > m && !p.most.CompareAndSwap(m, n); m = p.most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		p.inFlight.Add(-1)
		reason = strconv.FormatInt(p.most.Load(), 10)
	case "environ":
		reason = strings.Join(os.Environ(), "\n")
	case "log":
		p.host.Log(abi.LogWarn, "testplugin says hello")
	case "now":
		reason = strconv.FormatInt(p.host.Now().UnixNano(), 10)
	case "get":
		obj, err := p.host.GetObject(ctx, namespaces, "", ns)
		switch {
		case errors.Is(err, abi.ErrNotFound):
			reason = "not found"
		case err != nil:
			return abi.SubjectAccessReviewStatus{}, fmt.Errorf("reading namespace %q: %w", ns, err)
		default:
			reason = string(obj)
		}
	case "list":
		list, err := p.host.ListObjects(ctx, namespaces, "", "team=a")
		if err != nil {
			return abi.SubjectAccessReviewStatus{}, fmt.Errorf("listing namespaces: %w", err)
		}
		reason = string(list)
	case "secret":
		_, err := p.host.GetObject(ctx, abi.GroupVersionResource{Version: "v1", Resource: "secrets"}, ns, "token")
		return abi.SubjectAccessReviewStatus{}, err
	}
	return abi.SubjectAccessReviewStatus{Allowed: true, Reason: p.config.Prefix + reason}, nil
}

func (p *plugin) Authenticate(_ context.Context, r *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if r.Spec.Token != "secret" {
		return abi.TokenReviewStatus{}, nil
	}
	return abi.TokenReviewStatus{Authenticated: true, User: abi.UserInfo{Username: "alice", Groups: []string{"dev"}}}, nil
}

func (p *plugin) Admit(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	pt := abi.PatchTypeJSONPatch
	return abi.AdmissionResponse{Allowed: true, PatchType: &pt,
		Patch: []byte(`[{"op":"add","path":"/metadata/labels","value":{"team":"none"}}]`)}, nil
}

func (p *plugin) Validate(_ context.Context, r *abi.AdmissionReview) (abi.AdmissionResponse, error) {
	if r.Request.Name == "bad" {
		return abi.AdmissionResponse{Allowed: false, Result: &abi.Status{Status: "Failure", Message: "bad name", Reason: "Forbidden", Code: 403}}, nil
	}
	return abi.AdmissionResponse{Allowed: true}, nil
}

func main() {
	switch filepath.Base(os.Args[0]) {
	case "garbage-first":
		fmt.Println("hello from a plugin that prints before the handshake")
	case "abi-two":
		process.Handshake.ProtocolVersion = 2 // as a plugin built against ABI 2.x would be
	}
	process.Serve(&plugin{})
}
