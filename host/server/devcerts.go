package server

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// DevCerts are the development PKI kept in a directory (dev mode, without --tls-cert-file): a CA,
// a serving certificate it signs for the loopback names and the bind address, and an admin client
// certificate (CN=kapi-admin, O=system:masters) for the admin kubeconfig.
type DevCerts struct {
	CAFile, CAKeyFile           string
	ServingCertFile, ServingKey string
	AdminCertFile, AdminKeyFile string
}

// AdminUser and AdminGroup name the dev admin client certificate's subject.
const (
	AdminUser  = "kapi-admin"
	AdminGroup = "system:masters"
)

// EnsureDevCerts makes the development PKI in dir, reusing what is already there: the CA is made
// once; the serving certificate is made again only when it does not cover hosts (the bind address
// changed, say) or is about to expire; the admin certificate is made once per CA.
func EnsureDevCerts(dir string, hosts []string) (*DevCerts, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev certificates: %w", err)
	}
	d := &DevCerts{
		CAFile: filepath.Join(dir, "ca.crt"), CAKeyFile: filepath.Join(dir, "ca.key"),
		ServingCertFile: filepath.Join(dir, "serving.crt"), ServingKey: filepath.Join(dir, "serving.key"),
		AdminCertFile: filepath.Join(dir, "admin.crt"), AdminKeyFile: filepath.Join(dir, "admin.key"),
	}
	ca, caKey, fresh, err := ensureCA(d.CAFile, d.CAKeyFile)
	if err != nil {
		return nil, err
	}
	ips, names := splitHosts(hosts)
	if fresh || !servingCertCovers(d.ServingCertFile, ca, ips, names) {
		tmpl := leafTemplate(pkix.Name{CommonName: "kapi"}, x509.ExtKeyUsageServerAuth)
		tmpl.IPAddresses, tmpl.DNSNames = ips, names
		if err := issue(tmpl, ca, caKey, d.ServingCertFile, d.ServingKey); err != nil {
			return nil, err
		}
	}
	if fresh || !fileExists(d.AdminCertFile) || !fileExists(d.AdminKeyFile) {
		tmpl := leafTemplate(pkix.Name{CommonName: AdminUser, Organization: []string{AdminGroup}}, x509.ExtKeyUsageClientAuth)
		if err := issue(tmpl, ca, caKey, d.AdminCertFile, d.AdminKeyFile); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func ensureCA(certFile, keyFile string) (*x509.Certificate, crypto.Signer, bool, error) {
	if fileExists(certFile) && fileExists(keyFile) {
		cert, err := readCert(certFile)
		if err != nil {
			return nil, nil, false, err
		}
		key, err := readKey(keyFile)
		if err != nil {
			return nil, nil, false, err
		}
		if time.Until(cert.NotAfter) > 24*time.Hour {
			return cert, key, false, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, false, fmt.Errorf("dev CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kapi-dev-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, false, fmt.Errorf("dev CA: %w", err)
	}
	if err := writePEM(certFile, keyFile, der, key); err != nil {
		return nil, nil, false, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, true, err
}

func leafTemplate(subject pkix.Name, usage x509.ExtKeyUsage) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
}

func issue(tmpl, ca *x509.Certificate, caKey crypto.Signer, certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("key for %s: %w", certFile, err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing %s: %w", certFile, err)
	}
	return writePEM(certFile, keyFile, der, key)
}

func servingCertCovers(file string, ca *x509.Certificate, ips []net.IP, names []string) bool {
	cert, err := readCert(file)
	if err != nil || cert.CheckSignatureFrom(ca) != nil || time.Until(cert.NotAfter) < 24*time.Hour {
		return false
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	for _, n := range names {
		if !slices.Contains(cert.DNSNames, n) {
			return false
		}
	}
	return true
}

func splitHosts(hosts []string) (ips []net.IP, names []string) {
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() && !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
		} else if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return ips, names
}

func writePEM(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", keyFile, err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", certFile, err)
	}
	return nil
}

func readCert(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return x509.ParseCertificate(block.Bytes)
}

func readKey(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM key", file)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", file)
	}
	return signer, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
