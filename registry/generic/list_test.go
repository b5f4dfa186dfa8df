package generic

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
	"github.com/kapi-dev/kapi/storage/watchcache"
)

func TestListScopesAndSelectors(t *testing.T) {
	env := newEnv(t)
	env.createNamespace(t, "ns2")
	cms := env.configMaps(t)
	for _, c := range []struct{ ns, name, tier string }{{"ns", "a", "web"}, {"ns", "b", "db"}, {"ns2", "c", "web"}} {
		cm := configMap(c.name, nil)
		cm.Labels = map[string]string{"tier": c.tier}
		mustCreate(t, cms, c.ns, cm)
	}
	cases := []struct {
		name      string
		namespace string
		opts      metav1.ListOptions
		want      string
	}{
		{"one namespace", "ns", metav1.ListOptions{}, "a b"},
		{"all namespaces", "", metav1.ListOptions{}, "a b c"},
		{"label selector", "", metav1.ListOptions{LabelSelector: "tier=web"}, "a c"},
		{"set-based label selector", "", metav1.ListOptions{LabelSelector: "tier notin (web)"}, "b"},
		{"field selector on name", "", metav1.ListOptions{FieldSelector: "metadata.name=b"}, "b"},
		{"field selector on namespace", "", metav1.ListOptions{FieldSelector: "metadata.namespace!=ns"}, "c"},
		{"limit", "", metav1.ListOptions{Limit: 2}, "a b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := cms.List(context.Background(), tc.namespace, &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			list := out.(*corev1.ConfigMapList)
			var names []string
			for _, cm := range list.Items {
				names = append(names, cm.Name)
			}
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("listed %q, want %q", got, tc.want)
			}
			if list.ResourceVersion == "" || list.Kind != "ConfigMapList" || list.APIVersion != "v1" {
				t.Errorf("list meta: kind %q apiVersion %q resourceVersion %q", list.Kind, list.APIVersion, list.ResourceVersion)
			}
			if tc.opts.Limit > 0 && list.Continue == "" {
				t.Errorf("a limited list with more items has no continue token")
			}
		})
	}
}

func TestListAndWatchOptionErrors(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	yes := true
	cases := []struct {
		name    string
		opts    metav1.ListOptions
		watch   bool
		code    int32
		reason  metav1.StatusReason
		message string
	}{
		{"bad label selector", metav1.ListOptions{LabelSelector: "a in (b"}, false, 400, metav1.StatusReasonBadRequest, ""},
		{"bad field selector", metav1.ListOptions{FieldSelector: "a==b==c"}, false, 400, metav1.StatusReasonBadRequest, ""},
		{"unsupported field", metav1.ListOptions{FieldSelector: "data.x=y"}, false, 400, metav1.StatusReasonBadRequest, "field label not supported: data.x"},
		{"bad resourceVersion", metav1.ListOptions{ResourceVersion: "abc"}, false, 400, metav1.StatusReasonBadRequest, `resourceVersion: Invalid value: "abc"`},
		{"match without resourceVersion", metav1.ListOptions{ResourceVersionMatch: metav1.ResourceVersionMatchExact}, false, 422, metav1.StatusReasonInvalid, "resourceVersionMatch is forbidden unless resourceVersion is provided"},
		{"unknown match", metav1.ListOptions{ResourceVersion: "1", ResourceVersionMatch: "Sometime"}, false, 422, metav1.StatusReasonInvalid, "Unsupported value"},
		{"sendInitialEvents on a list", metav1.ListOptions{SendInitialEvents: &yes}, false, 422, metav1.StatusReasonInvalid, "sendInitialEvents is forbidden for list"},
		{"bad continue", metav1.ListOptions{Limit: 1, Continue: "not-a-token"}, false, 400, metav1.StatusReasonBadRequest, ""},
		{"sendInitialEvents without match", metav1.ListOptions{SendInitialEvents: &yes}, true, 422, metav1.StatusReasonInvalid, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"},
		{"watch with bad resourceVersion", metav1.ListOptions{ResourceVersion: "x1"}, true, 400, metav1.StatusReasonBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.watch {
				var w interface{ Stop() }
				w, err = cms.Watch(context.Background(), "ns", &tc.opts)
				if err == nil {
					w.Stop()
				}
			} else {
				_, err = cms.List(context.Background(), "ns", &tc.opts)
			}
			st := wantStatus(t, err, tc.code, tc.reason)
			if !strings.Contains(st.Message, tc.message) {
				t.Errorf("message %q does not contain %q", st.Message, tc.message)
			}
		})
	}
}

func TestGetErrors(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	cases := []struct {
		name, namespace, object string
		code                    int32
		reason                  metav1.StatusReason
		message                 string
	}{
		{"missing", "ns", "nope", 404, metav1.StatusReasonNotFound, `configmaps "nope" not found`},
		{"slash in name", "ns", "a/b", 400, metav1.StatusReasonBadRequest, "Name parameter invalid"},
		{"dot-dot name", "ns", "..", 400, metav1.StatusReasonBadRequest, "Name parameter invalid"},
		{"no namespace", "", "a", 400, metav1.StatusReasonBadRequest, "Namespace parameter required."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Get(context.Background(), tc.namespace, tc.object, nil)
			st := wantStatus(t, err, tc.code, tc.reason)
			if !strings.Contains(st.Message, tc.message) {
				t.Errorf("message %q does not contain %q", st.Message, tc.message)
			}
		})
	}
}

func TestWatchEventsAndTimeout(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	created := mustCreate(t, cms, "ns", configMap("before", nil)).(*corev1.ConfigMap)

	w, err := cms.Watch(context.Background(), "ns", &metav1.ListOptions{ResourceVersion: created.ResourceVersion, LabelSelector: "watched=yes"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	unwatched := configMap("ignored", nil)
	mustCreate(t, cms, "ns", unwatched)
	cm := configMap("seen", nil)
	cm.Labels = map[string]string{"watched": "yes"}
	mustCreate(t, cms, "ns", cm)
	if _, _, err := cms.Delete(context.Background(), "ns", "seen", registry.Admission{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []watch.EventType{watch.Added, watch.Deleted} {
		ev, ok := <-w.ResultChan()
		if !ok {
			t.Fatalf("watch closed before %s", want)
		}
		if ev.Type != want || ev.Object.(*corev1.ConfigMap).Name != "seen" {
			t.Fatalf("event %s %s, want %s seen", ev.Type, ev.Object.(*corev1.ConfigMap).Name, want)
		}
	}

	// timeoutSeconds ends a watch: its channel closes without anyone stopping it.
	one := int64(1)
	tw, err := cms.Watch(context.Background(), "ns", &metav1.ListOptions{ResourceVersion: created.ResourceVersion, TimeoutSeconds: &one})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Stop()
	for range tw.ResultChan() {
	}
}

func TestWatchSendInitialEvents(t *testing.T) {
	env := newEnv(t)
	cms := env.configMaps(t)
	mustCreate(t, cms, "ns", configMap("a", nil))
	mustCreate(t, cms, "ns", configMap("b", nil))
	yes := true
	w, err := cms.Watch(context.Background(), "ns", &metav1.ListOptions{
		SendInitialEvents: &yes, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, AllowWatchBookmarks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var added []string
	for ev := range w.ResultChan() {
		if ev.Type == watch.Added {
			added = append(added, ev.Object.(*corev1.ConfigMap).Name)
			continue
		}
		if ev.Type == watch.Bookmark {
			if ev.Object.(*corev1.ConfigMap).Annotations[metav1.InitialEventsAnnotationKey] == "true" {
				break
			}
			continue
		}
		t.Fatalf("unexpected %s event", ev.Type)
	}
	if strings.Join(added, " ") != "a b" {
		t.Errorf("initial events %v, want a and b", added)
	}
}

// A typed list's items carry no apiVersion or kind, as kube's; the objects a watch cache holds
// (and shares with every reader) keep theirs.
func TestListItemsCarryNoKind(t *testing.T) {
	ctx := context.Background()
	res := configMapsResource(t)
	prefix := fmt.Sprintf("/test-%d", prefixCounter.Add(1))
	cache, err := watchcache.New(etcd3.New(etcdClient, prefix, Codec(res)), KeyPrefix(res), Codec(res), watchcache.Options{})
	if err != nil {
		t.Fatalf("watch cache: %v", err)
	}
	defer cache.Stop()
	s := NewStore(res, cache, Deps{})
	created := mustCreate(t, s, "ns", configMap("a", nil)).(*corev1.ConfigMap)

	// From etcd, and from the cache once it holds the object.
	for _, rv := range []string{"", created.ResourceVersion} {
		opts := &metav1.ListOptions{ResourceVersion: rv}
		if rv != "" {
			opts.ResourceVersionMatch = metav1.ResourceVersionMatchNotOlderThan
		}
		list, err := s.List(ctx, "ns", opts)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		l := list.(*corev1.ConfigMapList)
		if l.APIVersion != "v1" || l.Kind != "ConfigMapList" {
			t.Errorf("rv %q: list apiVersion/kind %q/%q", rv, l.APIVersion, l.Kind)
		}
		if len(l.Items) != 1 || l.Items[0].APIVersion != "" || l.Items[0].Kind != "" {
			t.Fatalf("rv %q: items %+v, want one without apiVersion and kind", rv, l.Items)
		}
	}
	cached, err := cache.Get(ctx, KeyPrefix(res)+"ns/a", storage.GetOptions{ResourceVersion: "0"})
	if err != nil {
		t.Fatalf("get from the cache: %v", err)
	}
	if gvk := cached.GetObjectKind().GroupVersionKind(); gvk.Kind != "ConfigMap" {
		t.Errorf("the cached object lost its kind: %v", gvk)
	}
}

func configMapsResource(t *testing.T) *registry.Resource {
	t.Helper()
	for _, r := range builtin.Resources() {
		if r.Group == "" && r.Plural == "configmaps" {
			return r
		}
	}
	t.Fatal("no configmaps resource")
	return nil
}
