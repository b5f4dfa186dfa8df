package builtin

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestObjectsKubectlSends takes objects as kubectl create/run/expose and common manifests send
// them (testdata/kubectl-created.json) through the store's create path: each must be accepted,
// because kube-apiserver accepts it.
func TestObjectsKubectlSends(t *testing.T) {
	data, err := os.ReadFile("testdata/kubectl-created.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Resource string          `json:"resource"`
		Object   json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		group, plural, _ := strings.Cut(tc.Resource, "/")
		t.Run(tc.Resource, func(t *testing.T) {
			r := lookup(t, group, plural)
			obj := r.New()
			if err := json.Unmarshal(tc.Object, obj); err != nil {
				t.Fatal(err)
			}
			if errs := create(r, obj); len(errs) != 0 {
				t.Fatalf("rejected: %v", errs.ToAggregate())
			}
			if _, err := r.TableRow(obj); err != nil {
				t.Fatalf("table row: %v", err)
			}
		})
	}
}
