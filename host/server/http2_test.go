package server

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"testing"

	"golang.org/x/net/http2"
)

// The server is served through x/net/http2 for its write scheduler; the HTTP/2 settings that
// http.Server.HTTP2 gives must still reach clients, 1,000 streams per connection above all.
func TestServerAdvertisesHTTP2Settings(t *testing.T) {
	ts := startTestServer(t, nil, make(chan struct{}, 1))
	caPEM, err := os.ReadFile(ts.certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conn, err := tls.Dial("tcp", ts.srv.Addr(), &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q, want h2", p)
	}
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	settings, ok := f.(*http2.SettingsFrame)
	if !ok || settings.IsAck() {
		t.Fatalf("the server's first frame is %v, want its SETTINGS", f)
	}
	if v, ok := settings.Value(http2.SettingMaxConcurrentStreams); !ok || v != 1000 {
		t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (sent: %v), want 1000", v, ok)
	}
}
