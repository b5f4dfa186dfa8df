package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kapi-dev/kapi/abi"
)

// Serve runs p as a kapi process plugin until the host stops it; a plugin's main calls it and
// nothing else. p implements abi.Plugin and the interface of the kind its manifest names. Serve
// never returns to a process started outside a kapi server: go-plugin prints that the binary is a
// plugin and exits.
//
// Before the handshake the plugin must not write to stdout (the host reads the handshake line
// from it); once Serve runs, os.Stdout and os.Stderr go to the server log.
func Serve(p abi.Plugin) {
	go watchParent(os.Getppid(), 500*time.Millisecond)
	srv := &pluginServer{impl: p}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginKey: &grpcPlugin{server: srv}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
	})
	_ = srv.close()
}

// watchParent exits the process when its parent changes (the server died and the process was
// re-parented), the backstop to the Pdeathsig the host sets (see the package doc).
func watchParent(ppid int, every time.Duration) {
	if ppid <= 1 {
		return // started by init: there is no parent to outlive
	}
	for range time.Tick(every) {
		if os.Getppid() != ppid {
			os.Exit(0)
		}
	}
}

// grpcPlugin is the go-plugin plugin whose server side registers the Plugin service.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	server *pluginServer
}

func (g *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	g.server.broker = broker
	s.RegisterService(&pluginServiceDesc, g.server)
	return nil
}

func (g *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("kapi plugins are served, not dispensed, in the plugin process")
}

// pluginServer serves the Plugin service by calling the plugin's Go value.
type pluginServer struct {
	impl   abi.Plugin
	broker *plugin.GRPCBroker

	mu       sync.Mutex
	hostID   uint32
	hostConn *grpc.ClientConn

	closeOnce sync.Once
	closeErr  error
}

type call func(s *pluginServer, ctx context.Context, req []byte) ([]byte, error)

var pluginServiceDesc = grpc.ServiceDesc{
	ServiceName: PluginService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		unary(MethodProvision, (*pluginServer).provision),
		unary(MethodAuthenticate, (*pluginServer).authenticate),
		unary(MethodAuthorize, (*pluginServer).authorize),
		unary(MethodAdmit, (*pluginServer).admit),
		unary(MethodValidate, (*pluginServer).validate),
		unary(MethodClose, (*pluginServer).closeCall),
	},
	Metadata: "kapi/abi/v1/plugin.proto",
}

// unary adapts a call to gRPC's method handler, recovering a panic into an Internal status.
func unary(name string, f call) grpc.MethodDesc {
	return BytesMethod(PluginService, name, func(srv any, ctx context.Context, req []byte) ([]byte, error) {
		return safeCall(srv.(*pluginServer), ctx, f, req)
	})
}

func safeCall(s *pluginServer, ctx context.Context, f call, req []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic in plugin call: %v\n%s", r, debug.Stack())
			out, err = nil, status.Errorf(codes.Internal, "%s: %v", PanicMessage, r)
		}
	}()
	return f(s, ctx, req)
}

// envelope is the SPEC's error envelope for a plugin's own error.
func envelope(err error) ([]byte, error) {
	msg := err.Error()
	if msg == "" {
		msg = "plugin failed without a message"
	}
	return json.Marshal(abi.ErrorAnswer{Error: msg})
}

func badRequest(what string, err error) error {
	return status.Errorf(codes.InvalidArgument, "decoding %s: %v", what, err)
}

func notKind(k abi.Kind) error {
	return status.Errorf(codes.Unimplemented, "the plugin is not a %s", k)
}

func (s *pluginServer) provision(ctx context.Context, req []byte) ([]byte, error) {
	id, config, err := DecodeProvision(req)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	host, err := s.hostFor(id)
	if err != nil {
		return envelope(err)
	}
	if err := s.impl.Provision(ctx, config, host); err != nil {
		return envelope(err)
	}
	return []byte("{}"), nil
}

// hostFor dials the host service the host serves under broker ID id, once per ID: the broker hands
// out an ID's address only once, and a later Provision with the same ID reuses the connection.
func (s *pluginServer) hostFor(id uint32) (abi.Host, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hostConn == nil || s.hostID != id {
		conn, err := s.broker.DialWithOptions(id,
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
		if err != nil {
			return nil, fmt.Errorf("connecting to the host services (broker ID %d): %w", id, err)
		}
		if s.hostConn != nil {
			_ = s.hostConn.Close()
		}
		s.hostID, s.hostConn = id, conn
	}
	return &hostClient{conn: s.hostConn}, nil
}

func (s *pluginServer) authenticate(ctx context.Context, req []byte) ([]byte, error) {
	a, ok := s.impl.(abi.Authenticator)
	if !ok {
		return nil, notKind(abi.KindAuthenticator)
	}
	var review abi.TokenReview
	if err := json.Unmarshal(req, &review); err != nil {
		return nil, badRequest("TokenReview", err)
	}
	st, err := a.Authenticate(ctx, &review)
	if err != nil {
		return envelope(err)
	}
	return json.Marshal(&abi.TokenReview{APIVersion: review.APIVersion, Kind: review.Kind, Status: st})
}

func (s *pluginServer) authorize(ctx context.Context, req []byte) ([]byte, error) {
	a, ok := s.impl.(abi.Authorizer)
	if !ok {
		return nil, notKind(abi.KindAuthorizer)
	}
	var review abi.SubjectAccessReview
	if err := json.Unmarshal(req, &review); err != nil {
		return nil, badRequest("SubjectAccessReview", err)
	}
	st, err := a.Authorize(ctx, &review)
	if err != nil {
		return envelope(err)
	}
	return json.Marshal(&abi.SubjectAccessReview{APIVersion: review.APIVersion, Kind: review.Kind, Status: st})
}

func (s *pluginServer) admit(ctx context.Context, req []byte) ([]byte, error) {
	a, ok := s.impl.(abi.MutatingAdmission)
	if !ok {
		return nil, notKind(abi.KindMutatingAdmission)
	}
	return admission(ctx, req, a.Admit)
}

func (s *pluginServer) validate(ctx context.Context, req []byte) ([]byte, error) {
	a, ok := s.impl.(abi.ValidatingAdmission)
	if !ok {
		return nil, notKind(abi.KindValidatingAdmission)
	}
	return admission(ctx, req, a.Validate)
}

func admission(ctx context.Context, req []byte, decide func(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error)) ([]byte, error) {
	var review abi.AdmissionReview
	if err := json.Unmarshal(req, &review); err != nil {
		return nil, badRequest("AdmissionReview", err)
	}
	resp, err := decide(ctx, &review)
	if err != nil {
		return envelope(err)
	}
	if resp.UID == "" && review.Request != nil {
		resp.UID = review.Request.UID
	}
	return json.Marshal(&abi.AdmissionReview{APIVersion: review.APIVersion, Kind: review.Kind, Response: &resp})
}

func (s *pluginServer) closeCall(context.Context, []byte) ([]byte, error) {
	if err := s.close(); err != nil {
		return envelope(err)
	}
	return []byte("{}"), nil
}

// close closes the plugin once, whether the host asked (Close) or the server stopped.
func (s *pluginServer) close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.impl.Close()
		s.mu.Lock()
		if s.hostConn != nil {
			_ = s.hostConn.Close()
		}
		s.mu.Unlock()
	})
	return s.closeErr
}
