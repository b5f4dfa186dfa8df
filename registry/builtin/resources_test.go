package builtin

import (
	"reflect"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// wantResources is every built-in kube serves that kapi must describe, with its scope.
var wantResources = map[schema.GroupVersionResource]bool{
	gvr("", "namespaces"): false, gvr("", "pods"): true, gvr("", "configmaps"): true,
	gvr("", "secrets"): true, gvr("", "serviceaccounts"): true, gvr("", "services"): true,
	gvr("", "endpoints"): true, gvr("", "events"): true, gvr("", "nodes"): false,
	gvr("", "limitranges"): true, gvr("", "resourcequotas"): true, gvr("", "persistentvolumes"): false,
	gvr("", "persistentvolumeclaims"): true, gvr("", "podtemplates"): true,
	gvr("", "replicationcontrollers"): true,
	gvr("apps", "deployments"):        true, gvr("apps", "replicasets"): true, gvr("apps", "statefulsets"): true,
	gvr("apps", "daemonsets"): true, gvr("apps", "controllerrevisions"): true,
	gvr("batch", "jobs"): true, gvr("batch", "cronjobs"): true,
	gvr("rbac.authorization.k8s.io", "roles"): true, gvr("rbac.authorization.k8s.io", "rolebindings"): true,
	gvr("rbac.authorization.k8s.io", "clusterroles"): false, gvr("rbac.authorization.k8s.io", "clusterrolebindings"): false,
	gvr("coordination.k8s.io", "leases"): true, gvr("events.k8s.io", "events"): true,
	gvr("discovery.k8s.io", "endpointslices"): true,
	gvr("networking.k8s.io", "ingresses"):     true, gvr("networking.k8s.io", "networkpolicies"): true,
	gvr("policy", "poddisruptionbudgets"):                                  true,
	gvr("admissionregistration.k8s.io", "mutatingwebhookconfigurations"):   false,
	gvr("admissionregistration.k8s.io", "validatingwebhookconfigurations"): false,
}

func TestResourcesComplete(t *testing.T) {
	seen := map[schema.GroupVersionResource]bool{}
	for _, r := range Resources() {
		g := r.GroupVersionResource()
		t.Run(g.String(), func(t *testing.T) {
			if seen[g] {
				t.Fatalf("described twice")
			}
			seen[g] = true
			namespaced, ok := wantResources[g]
			if !ok {
				t.Fatalf("not an expected built-in")
			}
			if r.Namespaced != namespaced {
				t.Errorf("Namespaced = %v, want %v", r.Namespaced, namespaced)
			}
			if r.Kind == "" || r.Plural == "" || r.Singular == "" {
				t.Errorf("kind %q plural %q singular %q: none may be empty", r.Kind, r.Plural, r.Singular)
			}
			if r.Singular != strings.ToLower(r.Kind) {
				t.Errorf("Singular = %q, want lower-case kind %q", r.Singular, strings.ToLower(r.Kind))
			}
			if len(r.Verbs) == 0 {
				t.Errorf("no verbs")
			}
			obj, list := r.New(), r.NewList()
			if got := reflect.TypeOf(obj).Elem().Name(); got != r.Kind {
				t.Errorf("New() is %s, want kind %s", got, r.Kind)
			}
			if got := reflect.TypeOf(list).Elem().Name(); got != r.Kind+"List" {
				t.Errorf("NewList() is %s, want %sList", got, r.Kind)
			}
			if !apimeta.IsListType(list) {
				t.Errorf("NewList() %T is not a list", list)
			}
			if obj == r.New() {
				t.Errorf("New returns a shared object")
			}
			nameAt := -1
			for i, c := range r.TableColumns {
				if c.Name == "Name" && c.Format == "name" {
					nameAt = i
				}
			}
			// kubectl's event table is the one that does not open with NAME.
			if want := 0; r.Plural != "events" && nameAt != want {
				t.Errorf("Name column at %d, want first: %+v", nameAt, r.TableColumns)
			} else if nameAt < 0 {
				t.Errorf("no Name column with format name: %+v", r.TableColumns)
			}
			if _, ok := printers[g]; !ok {
				t.Errorf("no kubectl printer: kube prints every built-in with its own columns")
			}
			if r.TableRow == nil || r.SelectableFields == nil || r.Strategy == nil {
				t.Fatalf("TableRow, SelectableFields and Strategy must all be set")
			}
			row, err := r.TableRow(obj)
			if err != nil {
				t.Fatalf("TableRow(empty): %v", err)
			}
			if len(row) != len(r.TableColumns) {
				t.Errorf("row has %d cells for %d columns", len(row), len(r.TableColumns))
			}
			fs := r.SelectableFields(obj)
			if _, ok := fs["metadata.name"]; !ok {
				t.Errorf("metadata.name not selectable")
			}
			if _, ok := fs["metadata.namespace"]; ok != r.Namespaced {
				t.Errorf("metadata.namespace selectable = %v, want %v", ok, r.Namespaced)
			}
			if r.Strategy.SpecChanged(obj, r.New()) {
				t.Errorf("SpecChanged(empty, empty) = true")
			}
		})
	}
	for g := range wantResources {
		if !seen[g] {
			t.Errorf("%s is not described", g)
		}
	}
}

func TestResourcesAreFresh(t *testing.T) {
	a, b := Resources(), Resources()
	a[0].Verbs[0] = "changed"
	a[0].Kind = "Changed"
	if b[0].Verbs[0] == "changed" || b[0].Kind == "Changed" {
		t.Fatalf("descriptors share state between calls")
	}
}

func TestStorageVersionHash(t *testing.T) {
	// Values a real kube-apiserver's discovery shows.
	for _, tc := range []struct{ group, plural, want string }{
		{"", "pods", "xPOwRZ+Yhw8="},
		{"", "events", "r2yiGXH7wu8="},
		{"events.k8s.io", "events", "r2yiGXH7wu8="},
		{"apps", "deployments", "8aSe+NMegvE="},
	} {
		if got := lookup(t, tc.group, tc.plural).StorageVersionHash; got != tc.want {
			t.Errorf("%s/%s storageVersionHash = %q, want %q", tc.group, tc.plural, got, tc.want)
		}
	}
}
