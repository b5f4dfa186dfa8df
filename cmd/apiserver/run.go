package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kapi-dev/kapi/host/server"
)

// runServer parses the flags, prepares dev mode when no serving certificate is given, and runs
// the server until ctx ends.
func runServer(ctx context.Context, args []string, stderr io.Writer) int {
	opts, help, err := parseFlags(args, stderr)
	if help {
		return 0
	}
	if err != nil {
		return fail(stderr, err)
	}
	cfg, err := opts.config()
	if err != nil {
		return fail(stderr, err)
	}
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return fail(stderr, fmt.Errorf("--data-dir: %w", err))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fail(stderr, fmt.Errorf("--data-dir: %w", err))
	}

	var dev *server.DevCerts
	if cfg.TLSCertFile == "" {
		if dev, err = devMode(&cfg); err != nil {
			return fail(stderr, err)
		}
	}
	srv, err := server.New(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	if dev != nil {
		path := filepath.Join(cfg.DataDir, "admin.kubeconfig")
		if err := writeAdminKubeconfig(path, srv.Addr(), dev); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stderr, "Dev mode: an admin kubeconfig is at %s; use it with:\n  export KUBECONFIG=%s\n", path, path)
	}
	if err := srv.Run(ctx); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// devMode makes (once, reused on restart) a dev CA, a serving certificate for the loopback names
// and the bind address, and an admin client certificate, and points cfg at them. The dev CA is the
// client CA unless --client-ca-file is given.
func devMode(cfg *server.Config) (*server.DevCerts, error) {
	hosts := []string{"127.0.0.1", "::1", "localhost", cfg.BindAddress,
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if ip := server.FirstServiceIP(cfg.ServiceClusterIPRange); ip != nil {
		hosts = append(hosts, ip.String())
	}
	dev, err := server.EnsureDevCerts(filepath.Join(cfg.DataDir, "pki"), hosts)
	if err != nil {
		return nil, err
	}
	cfg.TLSCertFile, cfg.TLSPrivateKeyFile = dev.ServingCertFile, dev.ServingKey
	cfg.RootCAFile = dev.CAFile
	if cfg.ClientCAFile == "" {
		cfg.ClientCAFile = dev.CAFile
	}
	return dev, nil
}

// writeAdminKubeconfig writes a kubeconfig for the admin certificate, pointed at addr (a wildcard
// bind address becomes loopback, which the serving certificate covers).
func writeAdminKubeconfig(path, addr string, dev *server.DevCerts) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ca, err := os.ReadFile(dev.CAFile)
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(dev.AdminCertFile)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(dev.AdminKeyFile)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kapi"] = &clientcmdapi.Cluster{Server: "https://" + net.JoinHostPort(host, port), CertificateAuthorityData: ca}
	cfg.AuthInfos[server.AdminUser] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["kapi"] = &clientcmdapi.Context{Cluster: "kapi", AuthInfo: server.AdminUser, Namespace: "default"}
	cfg.CurrentContext = "kapi"
	// Write to a temporary file and rename, so a reader never sees half a kubeconfig.
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
