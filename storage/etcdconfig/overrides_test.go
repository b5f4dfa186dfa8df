package etcdconfig

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestParseOverrides(t *testing.T) {
	cases := []struct {
		name    string
		flag    string
		want    []Override
		wantErr string // a part of the error, "" for success
	}{
		{name: "empty", flag: ""},
		{name: "core group", flag: "/events#http://127.0.0.1:4002",
			want: []Override{{schema.GroupResource{Resource: "events"}, []string{"http://127.0.0.1:4002"}}}},
		{name: "several servers and resources", flag: "/events#http://e1:2379;https://e2:2379,apps/deployments#http://d:2379",
			want: []Override{
				{schema.GroupResource{Resource: "events"}, []string{"http://e1:2379", "https://e2:2379"}},
				{schema.GroupResource{Group: "apps", Resource: "deployments"}, []string{"http://d:2379"}},
			}},
		{name: "no servers part", flag: "/events", wantErr: "exactly one '#'"},
		{name: "two hashes", flag: "/events#http://a#b", wantErr: "exactly one '#'"},
		{name: "no slash", flag: "events#http://a:1", wantErr: `"events" is not group/resource`},
		{name: "too many slashes", flag: "a/b/c#http://a:1", wantErr: `"a/b/c" is not group/resource`},
		{name: "no resource", flag: "apps/#http://a:1", wantErr: "names no resource"},
		{name: "bad server", flag: "/events#127.0.0.1:4002", wantErr: `server "127.0.0.1:4002"`},
		{name: "empty server", flag: "/events#http://a:1;", wantErr: `server ""`},
		{name: "bad part named", flag: "/events#http://a:1,/pods#ftp://x", wantErr: `"/pods#ftp://x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseOverrides(c.flag)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestServersFor(t *testing.T) {
	overrides, err := ParseOverrides("/events#http://ev:1,apps/deployments#http://d1:1,apps/deployments#http://d2:1")
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Servers: []string{"http://main:1"}, Overrides: overrides}
	cases := []struct {
		gr   schema.GroupResource
		want string
	}{
		{schema.GroupResource{Resource: "events"}, "http://ev:1"},
		{schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "http://main:1"},
		{schema.GroupResource{Group: "apps", Resource: "deployments"}, "http://d2:1"},
		{schema.GroupResource{Resource: "pods"}, "http://main:1"},
	}
	for _, tc := range cases {
		if got := c.ServersFor(tc.gr); len(got) != 1 || got[0] != tc.want {
			t.Errorf("ServersFor(%v) = %v, want [%s]", tc.gr, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"ok", Config{Servers: []string{"https://a:2379"}, CertFile: "c", KeyFile: "k"}, ""},
		{"no servers", Config{}, "--etcd-servers must be specified"},
		{"bad server", Config{Servers: []string{"a:2379"}}, "--etcd-servers"},
		{"cert without key", Config{Servers: []string{"http://a:1"}, CertFile: "c"}, "--etcd-keyfile"},
		{"negative compaction", Config{Servers: []string{"http://a:1"}, CompactionInterval: -1}, "--etcd-compaction-interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("got %v, want %q", err, c.wantErr)
			}
		})
	}
}

// FuzzParseOverrides checks that any flag value parses without panicking, and that what parses
// writes back to a flag that parses to the same overrides.
func FuzzParseOverrides(f *testing.F) {
	f.Add("/events#http://127.0.0.1:4002")
	f.Add("apps/deployments#http://a:1;https://b:2,/pods#http://c:3")
	f.Add("#,/#;")
	f.Fuzz(func(t *testing.T, flag string) {
		got, err := ParseOverrides(flag)
		if err != nil {
			return
		}
		var parts []string
		for _, o := range got {
			if o.GroupResource.Resource == "" || len(o.Servers) == 0 {
				t.Fatalf("%q parsed to an incomplete override %+v", flag, o)
			}
			parts = append(parts, o.String())
		}
		again, err := ParseOverrides(strings.Join(parts, ","))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", strings.Join(parts, ","), err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip of %q gave %+v, want %+v", flag, again, got)
		}
	})
}
