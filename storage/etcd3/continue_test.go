package etcd3

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestContinueRoundTrip(t *testing.T) {
	token, err := encodeContinue("/registry/configmaps/ns1/b\x00", "/registry/configmaps/", 42)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	if want := `{"v":"meta.k8s.io/v1","rv":42,"start":"ns1/b\u0000"}`; string(raw) != want {
		t.Errorf("token JSON = %s, want %s (kube's format)", raw, want)
	}
	key, rv, err := decodeContinue(token, "/registry/configmaps/")
	if err != nil || key != "/registry/configmaps/ns1/b\x00" || rv != 42 {
		t.Errorf("decode = %q, %d, %v", key, rv, err)
	}
}

func TestDecodeContinueRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := map[string]string{
		"not base64":    "%%%",
		"not json":      enc("nope"),
		"wrong version": enc(`{"v":"v2","rv":1,"start":"a"}`),
		"zero rv":       enc(`{"v":"meta.k8s.io/v1","rv":0,"start":"a"}`),
		"empty start":   enc(`{"v":"meta.k8s.io/v1","rv":1,"start":""}`),
		"climbs out":    enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"../secrets/x"}`),
		"dot segments":  enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"a/./b"}`),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := decodeContinue(token, "/registry/configmaps/"); !errors.Is(err, errInvalidContinue) {
				t.Fatalf("got %v, want an invalid-continue error", err)
			}
		})
	}
}

// FuzzDecodeContinue checks that no token, however formed, panics or yields a key outside the
// list's prefix.
func FuzzDecodeContinue(f *testing.F) {
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":5,"start":"ns/a"}`)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":-1,"start":"/../../x"}`)))
	f.Add("")
	f.Add("e30")
	const prefix = "/registry/configmaps/"
	f.Fuzz(func(t *testing.T, token string) {
		key, rv, err := decodeContinue(token, prefix)
		if err != nil {
			if !errors.Is(err, errInvalidContinue) {
				t.Fatalf("error %v does not wrap errInvalidContinue", err)
			}
			return
		}
		if !strings.HasPrefix(key, prefix) || strings.Contains(key, "/../") || rv == 0 {
			t.Fatalf("decoded %q at rv %d from %q", key, rv, token)
		}
		again, err := encodeContinue(key, prefix, rv)
		if err != nil {
			t.Fatal(err)
		}
		if key2, rv2, err := decodeContinue(again, prefix); err != nil || key2 != key || rv2 != rv {
			t.Fatalf("re-encoded token decodes to %q %d %v, want %q %d", key2, rv2, err, key, rv)
		}
	})
}
