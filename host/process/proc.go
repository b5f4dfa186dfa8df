package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	sdkprocess "github.com/kapi-dev/kapi/sdk/process"
)

// proc is one running plugin process: go-plugin's client (which owns the process, its stdio and
// the gRPC connection), the connection the Plugin service is called on, and the broker that
// serves the Host service back to the process.
type proc struct {
	client *plugin.Client
	cmd    *exec.Cmd
	conn   *grpc.ClientConn
	broker *plugin.GRPCBroker
	pid    int
	hostID uint32
	// socketDir holds the process's gRPC socket; it is removed once the process is gone, so
	// that a killed process leaves no socket file behind.
	socketDir string
	// serving is the goroutine serving the Host service; it ends when the broker closes.
	serving sync.WaitGroup
}

// dispensed is what go-plugin's Dispense hands the host: the connection and the broker.
type dispensed struct {
	conn   *grpc.ClientConn
	broker *plugin.GRPCBroker
}

// clientPlugin is the host's side of go-plugin's plugin set: it serves nothing and dispenses the
// raw connection, since the stubs are the hand-written invoke calls of this package.
type clientPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (clientPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the kapi host does not serve plugins")
}

func (clientPlugin) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &dispensed{conn: c, broker: b}, nil
}

var callOptions = grpc.WithDefaultCallOptions(
	grpc.MaxCallRecvMsgSize(sdkprocess.MaxMessageBytes), grpc.MaxCallSendMsgSize(sdkprocess.MaxMessageBytes))

// start runs the executable, completes go-plugin's handshake (AutoMTLS, gRPC only), starts the
// Host service on the broker and provisions the process with the plugin's configuration.
func (p *Plugin) start(ctx context.Context) (pr *proc, err error) {
	// go-plugin's server makes its socket in the directory this variable names (the system's
	// temporary directory otherwise), and only an orderly exit removes it.
	socketDir, err := os.MkdirTemp("", "kapi-plugin-")
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", p.executable, err)
	}
	// The socket is socketDir/pluginNNNNNNNNNN, and a socket's path has room for 107 bytes.
	if len(socketDir)+len("/plugin")+10 > 107 {
		_ = os.RemoveAll(socketDir)
		return nil, fmt.Errorf("starting %s: the temporary directory %s is too long a path for the plugin's socket: set TMPDIR to a shorter one", p.executable, socketDir)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(socketDir)
		}
	}()
	cmd := exec.Command(p.executable)
	cmd.Dir = filepath.Dir(p.executable)
	cmd.Env = []string{
		// limits.memoryMiB as a Go runtime's soft limit: its GC works to stay under it, well
		// before the hard limit (limitMemory) kills the process.
		fmt.Sprintf("GOMEMLIMIT=%dMiB", p.manifest.Limits.MemoryMiB),
		plugin.EnvUnixSocketDir + "=" + socketDir,
	}
	dieWithParent(cmd)
	logger := p.logger
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdkprocess.Handshake,
		Plugins:          plugin.PluginSet{sdkprocess.PluginKey: clientPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		// The Plugin value owns its clients; go-plugin's global CleanupClients is never used.
		Managed: false,
		// Not the server's environment, as no Wasm guest gets one: it may hold secrets.
		SkipHostEnv:     true,
		StartTimeout:    p.opts.StartTimeout,
		Logger:          newHCLogAdapter(logger),
		SyncStdout:      &pluginapi.LineWriter{Logger: logger, Level: slog.LevelInfo, Msg: "plugin stdout"},
		SyncStderr:      &pluginapi.LineWriter{Logger: logger, Level: slog.LevelInfo, Msg: "plugin stderr"},
		GRPCDialOptions: []grpc.DialOption{callOptions},
	})
	var rpc plugin.ClientProtocol
	// client.Client forks the process: on the spawner's thread, for Pdeathsig's sake.
	p.spawner.do(func() { rpc, err = client.Client() })
	if err != nil {
		client.Kill()
		if strings.Contains(err.Error(), "Unrecognized remote plugin message") {
			return nil, fmt.Errorf("starting %s: its first line on stdout is not go-plugin's handshake "+
				"(a process plugin must call sdk/process.Serve and write nothing to stdout before it): %w", p.executable, err)
		}
		if strings.Contains(err.Error(), "incompatible API version") {
			return nil, fmt.Errorf("starting %s: it speaks another ABI major version than this host's %s "+
				"(go-plugin's protocol version is the ABI major): %w", p.executable, abi.Version, err)
		}
		return nil, fmt.Errorf("starting %s: %w", p.executable, err)
	}
	raw, err := rpc.Dispense(sdkprocess.PluginKey)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("starting %s: %w", p.executable, err)
	}
	d := raw.(*dispensed)
	pr = &proc{client: client, cmd: cmd, conn: d.conn, broker: d.broker, pid: cmd.Process.Pid, socketDir: socketDir}
	// Before Provision, so that what the configuration makes the plugin allocate counts.
	if err := limitMemory(pr.pid, p.manifest.Limits.MemoryMiB); err != nil {
		pr.kill()
		return nil, fmt.Errorf("starting %s: limiting its memory (limits.memoryMiB): %w", p.executable, err)
	}
	pr.hostID = d.broker.NextId()
	pr.serving.Add(1)
	go func() {
		defer pr.serving.Done()
		d.broker.AcceptAndServe(pr.hostID, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(sdkprocess.MaxMessageBytes), grpc.MaxSendMsgSize(sdkprocess.MaxMessageBytes))...)
			s.RegisterService(&hostServiceDesc, &hostServer{host: p.currentHost})
			return s
		})
	}()
	if err := p.provision(ctx, pr); err != nil {
		pr.kill()
		return nil, err
	}
	return pr, nil
}

// provision sends Provision: the Host service's broker ID and the configuration.
func (p *Plugin) provision(ctx context.Context, pr *proc) error {
	p.hostMu.RLock()
	config := p.config
	p.hostMu.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, p.manifest.Timeout())
	defer cancel()
	out, err := pr.invoke(ctx, provisionPath, sdkprocess.EncodeProvision(pr.hostID, config))
	if err != nil {
		return fmt.Errorf("provisioning the process (pid %d): %w", pr.pid, err)
	}
	var ans struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return fmt.Errorf("provisioning the process (pid %d): answer is not JSON: %v (answer starts %.120q)", pr.pid, err, out)
	}
	if ans.Error != nil {
		return fmt.Errorf("provisioning the process (pid %d): the plugin refused its configuration: %s", pr.pid, *ans.Error)
	}
	return nil
}

var (
	provisionPath = sdkprocess.FullMethod(sdkprocess.PluginService, sdkprocess.MethodProvision)
	closePath     = sdkprocess.FullMethod(sdkprocess.PluginService, sdkprocess.MethodClose)
)

// invoke calls a Plugin service method with one Bytes in and one out.
func (pr *proc) invoke(ctx context.Context, path string, req []byte) ([]byte, error) {
	out := new(wrapperspb.BytesValue)
	if err := pr.conn.Invoke(ctx, path, &wrapperspb.BytesValue{Value: req}, out); err != nil {
		return nil, err
	}
	return out.GetValue(), nil
}

// ping is go-plugin's health check (the gRPC health service every go-plugin server registers),
// with a deadline, which go-plugin's own Ping lacks: a wedged process must fail it, not hang it.
func (pr *proc) ping(timeout time.Duration) error {
	if pr.client.Exited() {
		return errors.New("the process has exited")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := grpc_health_v1.NewHealthClient(pr.conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	return err
}

// kill ends a process that failed: SIGKILL, then go-plugin's cleanup (its goroutines, the
// connection, the broker and with it the Host service).
func (pr *proc) kill() {
	_ = pr.cmd.Process.Kill()
	pr.client.Kill()
	pr.serving.Wait()
	_ = os.RemoveAll(pr.socketDir)
}

// close ends a healthy process in order: the plugin's Close, then go-plugin's shutdown, which
// gives the process two seconds to exit before killing it.
func (pr *proc) close(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_, _ = pr.invoke(ctx, closePath, nil)
	cancel()
	pr.client.Kill()
	pr.serving.Wait()
	_ = os.RemoveAll(pr.socketDir)
}
