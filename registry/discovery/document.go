package discovery

import (
	"sort"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// Document is a snapshot of everything discovery serves, computed once from the registry's
// entries. It is immutable; every method returns fresh objects that the caller may change.
type Document struct {
	core   *group   // the legacy core group, "" (served under /api); nil when none is served
	groups []*group // every other group, in kube's order (served under /apis)
}

type group struct {
	name     string
	versions []*groupVersion // preferred first
}

type groupVersion struct {
	version   string
	resources []*registry.Resource // sorted by plural
}

// Build computes the discovery document for entries (Registry.Entries()).
func Build(entries []*registry.Entry) *Document {
	byGroup := map[string]*group{}
	byGV := map[schema.GroupVersion]*groupVersion{}
	for _, e := range entries {
		r := e.Resource
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		v, ok := byGV[gv]
		if !ok {
			g, ok := byGroup[r.Group]
			if !ok {
				g = &group{name: r.Group}
				byGroup[r.Group] = g
			}
			v = &groupVersion{version: r.Version}
			g.versions = append(g.versions, v)
			byGV[gv] = v
		}
		v.resources = append(v.resources, r)
	}

	d := &Document{}
	priorities := map[string]int{}
	for name, g := range byGroup {
		sort.SliceStable(g.versions, func(i, j int) bool {
			return versionBefore(name, g.versions[i].version, g.versions[j].version)
		})
		for _, v := range g.versions {
			sort.SliceStable(v.resources, func(i, j int) bool { return v.resources[i].Plural < v.resources[j].Plural })
			// A group's priority is the highest GroupPriorityMinimum among its versions.
			p := priorityOf(schema.GroupVersion{Group: name, Version: v.version}).group
			if p > priorities[name] {
				priorities[name] = p
			}
		}
		if name == "" {
			d.core = g
			continue
		}
		d.groups = append(d.groups, g)
	}
	sort.SliceStable(d.groups, func(i, j int) bool {
		a, b := d.groups[i].name, d.groups[j].name
		return groupBefore(a, priorities[a], b, priorities[b])
	})
	return d
}

// GroupVersions lists every served group/version: the core group's first, then the other
// groups' in discovery order, each group's preferred version first.
func (d *Document) GroupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, g := range d.allGroups() {
		for _, v := range g.versions {
			out = append(out, schema.GroupVersion{Group: g.name, Version: v.version})
		}
	}
	return out
}

func (d *Document) allGroups() []*group {
	if d.core == nil {
		return d.groups
	}
	return append([]*group{d.core}, d.groups...)
}

// APIVersions is the legacy /api document: the core group's versions and the address clients
// should use.
func (d *Document) APIVersions(serverAddress string) *metav1.APIVersions {
	out := &metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: serverAddress},
		},
	}
	if d.core != nil {
		for _, v := range d.core.versions {
			out.Versions = append(out.Versions, v.version)
		}
	}
	return out
}

// APIGroupList is the legacy /apis document.
func (d *Document) APIGroupList() *metav1.APIGroupList {
	out := &metav1.APIGroupList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
		Groups:   []metav1.APIGroup{},
	}
	for _, g := range d.groups {
		out.Groups = append(out.Groups, g.apiGroup())
	}
	return out
}

// APIGroup is the legacy /apis/GROUP document; ok is false for a group that is not served.
func (d *Document) APIGroup(name string) (out *metav1.APIGroup, ok bool) {
	for _, g := range d.groups {
		if g.name == name {
			ag := g.apiGroup()
			ag.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
			return &ag, true
		}
	}
	return nil, false
}

func (g *group) apiGroup() metav1.APIGroup {
	out := metav1.APIGroup{Name: g.name}
	for _, v := range g.versions {
		out.Versions = append(out.Versions, metav1.GroupVersionForDiscovery{
			GroupVersion: schema.GroupVersion{Group: g.name, Version: v.version}.String(),
			Version:      v.version,
		})
	}
	if len(out.Versions) > 0 {
		out.PreferredVersion = out.Versions[0]
	}
	return out
}

func (d *Document) find(groupName, version string) *groupVersion {
	for _, g := range d.allGroups() {
		if g.name != groupName {
			continue
		}
		for _, v := range g.versions {
			if v.version == version {
				return v
			}
		}
	}
	return nil
}

// APIResourceList is the legacy /api/v1 or /apis/GROUP/VERSION document: every resource and,
// after each, its subresources as "plural/subresource" entries, sorted by name as kube sorts
// them. ok is false for a group/version that is not served.
func (d *Document) APIResourceList(groupName, version string) (out *metav1.APIResourceList, ok bool) {
	v := d.find(groupName, version)
	if v == nil {
		return nil, false
	}
	out = &metav1.APIResourceList{
		TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: schema.GroupVersion{Group: groupName, Version: version}.String(),
		APIResources: []metav1.APIResource{},
	}
	for _, r := range v.resources {
		out.APIResources = append(out.APIResources, metav1.APIResource{
			Name:               r.Plural,
			SingularName:       r.Singular,
			Namespaced:         r.Namespaced,
			Kind:               r.Kind,
			Verbs:              sortedVerbs(r.Verbs),
			ShortNames:         copyStrings(r.ShortNames),
			Categories:         copyStrings(r.Categories),
			StorageVersionHash: r.StorageVersionHash,
		})
		for _, sub := range sortedStrings(r.Subresources) {
			s := SubresourceOf(r, sub)
			out.APIResources = append(out.APIResources, metav1.APIResource{
				Name:       r.Plural + "/" + sub,
				Namespaced: r.Namespaced,
				Group:      s.Kind.Group,
				Version:    s.Kind.Version,
				Kind:       s.Kind.Kind,
				Verbs:      s.Verbs,
			})
		}
	}
	// kube lists the resources of a group/version sorted by their path ("pods", "pods/log",
	// "podtemplates"), which is what sorting by name gives.
	sort.SliceStable(out.APIResources, func(i, j int) bool { return out.APIResources[i].Name < out.APIResources[j].Name })
	return out, true
}

// AggregatedCore is the aggregated /api document: the core group, unnamed.
func (d *Document) AggregatedCore() *apidiscoveryv2.APIGroupDiscoveryList {
	out := newDiscoveryList()
	if d.core != nil {
		out.Items = append(out.Items, d.core.aggregated())
	}
	return out
}

// AggregatedGroups is the aggregated /apis document: every group but the core group.
func (d *Document) AggregatedGroups() *apidiscoveryv2.APIGroupDiscoveryList {
	out := newDiscoveryList()
	for _, g := range d.groups {
		out.Items = append(out.Items, g.aggregated())
	}
	return out
}

func newDiscoveryList() *apidiscoveryv2.APIGroupDiscoveryList {
	return &apidiscoveryv2.APIGroupDiscoveryList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: apidiscoveryv2.SchemeGroupVersion.String()},
		Items:    []apidiscoveryv2.APIGroupDiscovery{},
	}
}

func (g *group) aggregated() apidiscoveryv2.APIGroupDiscovery {
	out := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: g.name}}
	for _, v := range g.versions {
		av := apidiscoveryv2.APIVersionDiscovery{
			Version:   v.version,
			Resources: []apidiscoveryv2.APIResourceDiscovery{},
			Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
		}
		for _, r := range v.resources {
			av.Resources = append(av.Resources, aggregatedResource(r))
		}
		out.Versions = append(out.Versions, av)
	}
	return out
}

func aggregatedResource(r *registry.Resource) apidiscoveryv2.APIResourceDiscovery {
	scope := apidiscoveryv2.ScopeCluster
	if r.Namespaced {
		scope = apidiscoveryv2.ScopeNamespace
	}
	// kube derives the aggregated form from the legacy one, whose main resources leave group
	// and version empty.
	out := apidiscoveryv2.APIResourceDiscovery{
		Resource:         r.Plural,
		ResponseKind:     &metav1.GroupVersionKind{Kind: r.Kind},
		Scope:            scope,
		SingularResource: r.Singular,
		Verbs:            sortedVerbs(r.Verbs),
		ShortNames:       copyStrings(r.ShortNames),
		Categories:       copyStrings(r.Categories),
	}
	for _, sub := range sortedStrings(r.Subresources) {
		s := SubresourceOf(r, sub)
		kind := s.Kind
		out.Subresources = append(out.Subresources, apidiscoveryv2.APISubresourceDiscovery{
			Subresource:  sub,
			ResponseKind: &metav1.GroupVersionKind{Group: kind.Group, Version: kind.Version, Kind: kind.Kind},
			Verbs:        s.Verbs,
		})
	}
	return out
}

func sortedVerbs(verbs []string) []string {
	out := sortedStrings(verbs)
	if out == nil {
		// kube always lists verbs, if only as [].
		return []string{}
	}
	return out
}

func sortedStrings(in []string) []string {
	out := copyStrings(in)
	sort.Strings(out)
	return out
}

func copyStrings(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return append([]string(nil), in...)
}
