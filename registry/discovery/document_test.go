package discovery

import (
	"encoding/json"
	"reflect"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
)

var allVerbs = []string{"watch", "create", "delete", "deletecollection", "get", "list", "patch", "update"}

func entries(rs ...*registry.Resource) []*registry.Entry {
	out := make([]*registry.Entry, 0, len(rs))
	for _, r := range rs {
		out = append(out, &registry.Entry{Resource: r})
	}
	return out
}

func sample() []*registry.Entry {
	return entries(
		&registry.Resource{Version: "v1", Kind: "Pod", Plural: "pods", Singular: "pod", ShortNames: []string{"po"},
			Categories: []string{"all"}, Namespaced: true, Subresources: []string{"status", "binding"}, Verbs: allVerbs},
		&registry.Resource{Version: "v1", Kind: "Namespace", Plural: "namespaces", Singular: "namespace",
			Subresources: []string{"status", "finalize"}, Verbs: []string{"get", "list"}},
		&registry.Resource{Group: "apps", Version: "v1", Kind: "Deployment", Plural: "deployments", Singular: "deployment",
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: allVerbs},
		&registry.Resource{Group: "example.com", Version: "v1alpha1", Kind: "Widget", Plural: "widgets", Singular: "widget", Verbs: allVerbs},
		&registry.Resource{Group: "example.com", Version: "v1", Kind: "Widget", Plural: "widgets", Singular: "widget", Verbs: allVerbs},
		&registry.Resource{Group: "example.com", Version: "v2beta1", Kind: "Widget", Plural: "widgets", Singular: "widget", Verbs: allVerbs},
		&registry.Resource{Group: "autoscaling", Version: "v1", Kind: "HorizontalPodAutoscaler", Plural: "horizontalpodautoscalers", Namespaced: true, Verbs: allVerbs},
		&registry.Resource{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler", Plural: "horizontalpodautoscalers", Namespaced: true, Verbs: allVerbs},
		&registry.Resource{Group: "batch", Version: "v1", Kind: "Job", Plural: "jobs", Namespaced: true, Verbs: allVerbs},
		&registry.Resource{Group: "aardvark.io", Version: "v1", Kind: "Aardvark", Plural: "aardvarks", Verbs: allVerbs},
	)
}

func TestGroupOrder(t *testing.T) {
	d := Build(sample())
	var got []string
	for _, g := range d.APIGroupList().Groups {
		got = append(got, g.PreferredVersion.GroupVersion)
		for _, v := range g.Versions {
			got = append(got, "  "+v.GroupVersion)
		}
	}
	// Built-in groups in kube's priority order; custom groups after them, by name; versions by
	// priority (autoscaling/v2 above v1) or kube's version order.
	want := []string{
		"apps/v1", "  apps/v1",
		"autoscaling/v2", "  autoscaling/v2", "  autoscaling/v1",
		"batch/v1", "  batch/v1",
		"aardvark.io/v1", "  aardvark.io/v1",
		"example.com/v1", "  example.com/v1", "  example.com/v2beta1", "  example.com/v1alpha1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("group order\n got %q\nwant %q", got, want)
	}
	gvs := d.GroupVersions()
	if gvs[0] != (schema.GroupVersion{Version: "v1"}) || len(gvs) != 9 {
		t.Errorf("GroupVersions() = %v", gvs)
	}
}

func TestAPIResourceList(t *testing.T) {
	d := Build(sample())
	tests := []struct {
		group, version string
		want           []metav1.APIResource
	}{
		{"", "v1", []metav1.APIResource{
			{Name: "namespaces", SingularName: "namespace", Kind: "Namespace", Verbs: []string{"get", "list"}},
			{Name: "namespaces/finalize", Kind: "Namespace", Verbs: []string{"update"}},
			{Name: "namespaces/status", Kind: "Namespace", Verbs: []string{"get", "patch", "update"}},
			{Name: "pods", SingularName: "pod", Namespaced: true, Kind: "Pod", ShortNames: []string{"po"}, Categories: []string{"all"},
				Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
			{Name: "pods/binding", Namespaced: true, Kind: "Binding", Verbs: []string{"create"}},
			{Name: "pods/status", Namespaced: true, Kind: "Pod", Verbs: []string{"get", "patch", "update"}},
		}},
		{"apps", "v1", []metav1.APIResource{
			{Name: "deployments", SingularName: "deployment", Namespaced: true, Kind: "Deployment",
				Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
			{Name: "deployments/scale", Namespaced: true, Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get", "patch", "update"}},
			{Name: "deployments/status", Namespaced: true, Kind: "Deployment", Verbs: []string{"get", "patch", "update"}},
		}},
	}
	for _, tt := range tests {
		list, ok := d.APIResourceList(tt.group, tt.version)
		if !ok {
			t.Fatalf("%s/%s not found", tt.group, tt.version)
		}
		if !reflect.DeepEqual(list.APIResources, tt.want) {
			t.Errorf("%s/%s resources\n got %+v\nwant %+v", tt.group, tt.version, list.APIResources, tt.want)
		}
		if want := (schema.GroupVersion{Group: tt.group, Version: tt.version}).String(); list.GroupVersion != want {
			t.Errorf("groupVersion %q, want %q", list.GroupVersion, want)
		}
	}
	for _, gv := range [][2]string{{"apps", "v2"}, {"nope", "v1"}, {"", "v2"}} {
		if _, ok := d.APIResourceList(gv[0], gv[1]); ok {
			t.Errorf("APIResourceList(%q, %q) found", gv[0], gv[1])
		}
	}
	if _, ok := d.APIGroup(""); ok {
		t.Error("APIGroup(\"\") found: the core group is not under /apis")
	}
	g, ok := d.APIGroup("autoscaling")
	if !ok || g.Kind != "APIGroup" || g.PreferredVersion.Version != "v2" {
		t.Errorf("APIGroup(autoscaling) = %+v, %v", g, ok)
	}
}

func TestAPIVersions(t *testing.T) {
	got, err := json.Marshal(Build(sample()).APIVersions("10.0.0.1:6443"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}`
	if string(got) != want {
		t.Errorf("APIVersions\n got %s\nwant %s", got, want)
	}
}

func TestAggregated(t *testing.T) {
	d := Build(sample())
	core := d.AggregatedCore()
	if core.APIVersion != "apidiscovery.k8s.io/v2" || core.Kind != "APIGroupDiscoveryList" || len(core.Items) != 1 || core.Items[0].Name != "" {
		t.Fatalf("AggregatedCore() = %+v", core)
	}
	pods := core.Items[0].Versions[0].Resources[1]
	want := apidiscoveryv2.APIResourceDiscovery{
		Resource: "pods", ResponseKind: &metav1.GroupVersionKind{Kind: "Pod"}, Scope: apidiscoveryv2.ScopeNamespace,
		SingularResource: "pod", Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
		ShortNames: []string{"po"}, Categories: []string{"all"},
		Subresources: []apidiscoveryv2.APISubresourceDiscovery{
			{Subresource: "binding", ResponseKind: &metav1.GroupVersionKind{Kind: "Binding"}, Verbs: []string{"create"}},
			{Subresource: "status", ResponseKind: &metav1.GroupVersionKind{Kind: "Pod"}, Verbs: []string{"get", "patch", "update"}},
		},
	}
	if !reflect.DeepEqual(pods, want) {
		t.Errorf("pods\n got %+v\nwant %+v", pods, want)
	}
	groups := d.AggregatedGroups()
	var names []string
	for _, g := range groups.Items {
		names = append(names, g.Name)
		for _, v := range g.Versions {
			if v.Freshness != apidiscoveryv2.DiscoveryFreshnessCurrent {
				t.Errorf("%s/%s freshness %q", g.Name, v.Version, v.Freshness)
			}
		}
	}
	if want := []string{"apps", "autoscaling", "batch", "aardvark.io", "example.com"}; !reflect.DeepEqual(names, want) {
		t.Errorf("aggregated groups %q, want %q", names, want)
	}
	scale := groups.Items[0].Versions[0].Resources[0].Subresources[0]
	if scale.Subresource != "scale" || *scale.ResponseKind != (metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}) {
		t.Errorf("deployments/scale = %+v", scale)
	}
}

// TestBuiltinOrder pins the order kubectl shows the built-in groups in.
func TestBuiltinOrder(t *testing.T) {
	var es []*registry.Entry
	for _, r := range builtin.Resources() {
		es = append(es, &registry.Entry{Resource: r})
	}
	d := Build(es)
	prio := -1
	for i, g := range d.APIGroupList().Groups {
		p := priorityOf(schema.GroupVersion{Group: g.Name, Version: g.PreferredVersion.Version}).group
		if i > 0 && p > prio {
			t.Errorf("group %s (priority %d) after a group of priority %d", g.Name, p, prio)
		}
		prio = p
		if p == customPriority.group {
			t.Errorf("built-in group %s has no kube priority", g.Name)
		}
	}
	if list, ok := d.APIResourceList("", "v1"); !ok || len(list.APIResources) == 0 {
		t.Errorf("core v1 resources: %v", ok)
	}
}
