package tokenfile

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		want     map[string]abi.UserInfo
		errorHas string
	}{
		{"kube's format", "token1,user1,uid1,\"group1,group2\"\ntoken2,user2,uid2\n",
			map[string]abi.UserInfo{
				"token1": {Username: "user1", UID: "uid1", Groups: []string{"group1", "group2"}},
				"token2": {Username: "user2", UID: "uid2"},
			}, ""},
		{"byte order mark", "\uFEFFtok,u,1\n", map[string]abi.UserInfo{"tok": {Username: "u", UID: "1"}}, ""},
		{"empty token skipped", ",u,1\ntok,v,2\n", map[string]abi.UserInfo{"tok": {Username: "v", UID: "2"}}, ""},
		{"later duplicate wins", "tok,u,1\ntok,v,2\n", map[string]abi.UserInfo{"tok": {Username: "v", UID: "2"}}, ""},
		{"empty file", "", map[string]abi.UserInfo{}, ""},
		{"too few columns", "tok,u\n", nil, "at least 3 columns"},
		{"bad quoting", "tok,\"u,1\n", nil, "token file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.text)
			if tc.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
					t.Fatalf("err %v, want containing %q", err, tc.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	cfg, _ := json.Marshal(Config{Tokens: "secret,alice,42,\"dev,ops\"\n"})
	a := &Authenticator{}
	if err := a.Provision(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		token  string
		authed bool
	}{{"secret", true}, {"wrong", false}, {"", false}}
	for _, tc := range cases {
		st, err := a.Authenticate(context.Background(), abi.NewTokenReview(abi.TokenReviewSpec{Token: tc.token}))
		if err != nil || st.Error != "" {
			t.Fatalf("%q: %v %q", tc.token, err, st.Error)
		}
		if st.Authenticated != tc.authed {
			t.Fatalf("%q: authenticated %v", tc.token, st.Authenticated)
		}
		if tc.authed && (st.User.Username != "alice" || st.User.UID != "42" || strings.Join(st.User.Groups, ",") != "dev,ops") {
			t.Fatalf("user %+v", st.User)
		}
	}
}

func TestProvisionErrors(t *testing.T) {
	for _, cfg := range []string{`{"path":"/etc/tokens"}`, `{"tokens":1}`, `{"tokens":"a,b\n"}`, `{"tokens":""} {}`} {
		if err := (&Authenticator{}).Provision(context.Background(), []byte(cfg), nil); err == nil {
			t.Errorf("config %s accepted", cfg)
		}
	}
}
