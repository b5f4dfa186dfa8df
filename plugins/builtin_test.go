package plugins

import "testing"

func TestDecodeConfig(t *testing.T) {
	type cfg struct {
		A string `json:"a"`
	}
	cases := []struct {
		in   string
		ok   bool
		want string
	}{
		{``, true, ""},
		{`  `, true, ""},
		{`{}`, true, ""},
		{`{"a":"x"}`, true, "x"},
		{`{"b":"x"}`, false, ""},
		{`{"a":1}`, false, ""},
		{`{"a":"x"} {"a":"y"}`, false, ""},
		{`[`, false, ""},
	}
	for _, tc := range cases {
		var c cfg
		err := DecodeConfig([]byte(tc.in), &c)
		if (err == nil) != tc.ok || (tc.ok && c.A != tc.want) {
			t.Errorf("%q: err %v, a %q", tc.in, err, c.A)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	Register("test-dup", nil)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a duplicate name")
		}
	}()
	Register("test-dup", nil)
}
