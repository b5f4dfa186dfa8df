package etcdconfig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"

	"github.com/kapi-dev/kapi/storage/embedded"
)

// pki is a CA and the files of certificates it signed, written to a temp dir.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), caCert: cert, caKey: key, serial: 1}
	writePEM(t, filepath.Join(p.dir, "ca.crt"), "CERTIFICATE", der)
	return p
}

// issue signs a certificate for name with the usage, and returns its cert and key file paths.
func (p *pki) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNewClientTLS starts etcd requiring client certificates and connects with NewClient.
func TestNewClientTLS(t *testing.T) {
	p := newPKI(t)
	caFile := filepath.Join(p.dir, "ca.crt")
	serverCert, serverKey := p.issue(t, "server", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := p.issue(t, "client", x509.ExtKeyUsageClientAuth)

	e, err := embedded.Start(context.Background(), embedded.Config{
		Dir: t.TempDir(),
		ClientTLS: transport.TLSInfo{
			CertFile:       serverCert,
			KeyFile:        serverKey,
			TrustedCAFile:  caFile,
			ClientCertAuth: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	c, err := NewClient(e.Endpoints(), caFile, clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Put(ctx, "/k", "v"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(ctx, "/k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("get over TLS: %v, %v", resp, err)
	}

	// Without a client certificate the server refuses us. The deadline only ends the client's
	// retries: a refusal fails the request either way, an accepted request succeeds at once.
	anon, err := NewClient(e.Endpoints(), caFile, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := anon.Get(short, "/k"); err == nil {
		t.Fatal("a client without a certificate was served")
	}

	if _, err := NewClient(e.Endpoints(), filepath.Join(p.dir, "missing.crt"), clientCert, clientKey); err == nil {
		t.Fatal("NewClient accepted a missing CA file")
	}
}
