package etcd3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

// configMapAttrs gives a ConfigMap's labels and its selectable fields, as the registry does.
func configMapAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, nil, fmt.Errorf("not a ConfigMap: %T", obj)
	}
	return cm.Labels, fields.Set{"metadata.name": cm.Name, "metadata.namespace": cm.Namespace}, nil
}

// fill creates n ConfigMaps in ns, labelled with "mod3" = i%3, and returns the revision after.
func fill(t *testing.T, s *Store, ns string, n int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("cm-%04d", i)
		lbl := map[string]string{"mod3": strconv.Itoa(i % 3)}
		if _, err := s.Create(context.Background(), "/configmaps/"+ns+"/"+name, configMap(ns, name, lbl, nil)); err != nil {
			t.Fatal(err)
		}
	}
}

func rvOf(t *testing.T, obj runtime.Object) uint64 {
	t.Helper()
	l := obj.(*corev1.ConfigMapList)
	rv, err := strconv.ParseUint(l.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatalf("list resourceVersion %q: %v", l.ResourceVersion, err)
	}
	return rv
}

// TestListPagingExactlyOnce pages through 600 objects while other objects are written, and
// checks each object of the first page's revision arrives exactly once and nothing newer does.
func TestListPagingExactlyOnce(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	fill(t, s, "ns1", 600)

	cases := []struct {
		name  string
		pred  storage.Predicate
		want  int
		limit int64
	}{
		{"everything", storage.Predicate{}, 600, 37},
		{"label selector", storage.Predicate{Label: labels.SelectorFromSet(labels.Set{"mod3": "1"}), GetAttrs: configMapAttrs}, 200, 10},
		{"field selector", storage.Predicate{Field: fields.OneTermEqualSelector("metadata.name", "cm-0421"), GetAttrs: configMapAttrs}, 1, 50},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen := map[string]bool{}
			var pinned uint64
			pred := c.pred
			pred.Limit = c.limit
			for page := 0; ; page++ {
				out, err := s.GetList(ctx, "/configmaps/ns1", storage.ListOptions{Recursive: true, Predicate: pred})
				if err != nil {
					t.Fatal(err)
				}
				list := out.(*corev1.ConfigMapList)
				rv := rvOf(t, out)
				if page == 0 {
					pinned = rv
				} else if rv != pinned {
					t.Fatalf("page %d at rv %d, want the pinned %d", page, rv, pinned)
				}
				if int64(len(list.Items)) > c.limit {
					t.Fatalf("page %d has %d items, limit %d", page, len(list.Items), c.limit)
				}
				for _, cm := range list.Items {
					if seen[cm.Name] {
						t.Fatalf("%s listed twice", cm.Name)
					}
					seen[cm.Name] = true
					if ok, _ := c.pred.Matches(&cm); !ok {
						t.Fatalf("%s does not match the predicate", cm.Name)
					}
				}
				if c.pred.Empty() && list.Continue != "" {
					if list.RemainingItemCount == nil || *list.RemainingItemCount != int64(c.want-len(seen)) {
						t.Fatalf("page %d remainingItemCount %v, want %d", page, list.RemainingItemCount, c.want-len(seen))
					}
				}
				if !c.pred.Empty() && list.RemainingItemCount != nil {
					t.Fatalf("filtered list reports remainingItemCount %d", *list.RemainingItemCount)
				}
				if list.Continue == "" {
					break
				}
				// Writes between pages must not show up in a list pinned at its first revision.
				late := fmt.Sprintf("late-%d-%d", ci, page)
				if _, err := s.Create(ctx, "/configmaps/ns1/"+late, configMap("ns1", late, map[string]string{"mod3": "1"}, nil)); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if _, err := s.Delete(ctx, "/configmaps/ns1/"+late, nil, nil); err != nil {
						t.Error(err)
					}
				})
				pred.Continue = list.Continue
			}
			if len(seen) != c.want {
				t.Fatalf("listed %d objects, want %d", len(seen), c.want)
			}
		})
	}
}

func TestListResourceVersionSemantics(t *testing.T) {
	s, e := newTestStore(t)
	ctx := context.Background()
	fill(t, s, "ns1", 3)
	cur, err := s.CurrentResourceVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, "ns2", 2)
	if _, err := s.Delete(ctx, "/configmaps/ns1/cm-0000", nil, nil); err != nil {
		t.Fatal(err)
	}
	now, err := s.CurrentResourceVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rv := func(v uint64) string { return strconv.FormatUint(v, 10) }
	// A token that continues a list pinned at cur from the start of ns1.
	token, err := encodeContinue("/registry/configmaps/ns1", "/registry/configmaps/", int64(cur))
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		key       string
		opts      storage.ListOptions
		wantItems int
		wantRV    uint64
		wantCode  storage.ErrorCode
	}{
		{"quorum", "/configmaps/", storage.ListOptions{Recursive: true}, 4, now, 0},
		{"rv 0 reads the newest here", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: "0"}, 4, now, 0},
		{"one namespace", "/configmaps/ns1/", storage.ListOptions{Recursive: true}, 2, now, 0},
		{"exact at an older revision", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur), ResourceVersionMatch: "Exact"}, 3, cur, 0},
		{"legacy limited list is exact", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur), Predicate: storage.Predicate{Limit: 10}}, 3, cur, 0},
		{"legacy unlimited list is the newest", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur)}, 4, now, 0},
		{"not older than reads the newest", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur), ResourceVersionMatch: "NotOlderThan"}, 4, now, 0},
		{"not older than the future", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(now + 10), ResourceVersionMatch: "NotOlderThan"}, 0, 0, storage.ErrCodeTooLargeResourceVersion},
		{"exact in the future", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(now + 10), ResourceVersionMatch: "Exact"}, 0, 0, storage.ErrCodeTooLargeResourceVersion},
		{"bad resourceVersion", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: "abc"}, 0, 0, storage.ErrCodeInvalidObj},
		{"bad continue", "/configmaps/", storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Continue: "!!"}}, 0, 0, storage.ErrCodeInvalidContinue},
		{"continue with a resourceVersion", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur), Predicate: storage.Predicate{Continue: token}}, 0, 0, storage.ErrCodeInvalidObj},
		{"continue with resourceVersion 0", "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.Predicate{Continue: token}}, 3, cur, 0},
		{"single key", "/configmaps/ns2/cm-0001", storage.ListOptions{}, 1, now, 0},
		{"single missing key", "/configmaps/ns2/none", storage.ListOptions{}, 0, now, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := s.GetList(ctx, c.key, c.opts)
			if c.wantCode != 0 {
				if !storage.IsCode(err, c.wantCode) {
					t.Fatalf("got %v, want code %d", err, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			list := out.(*corev1.ConfigMapList)
			if len(list.Items) != c.wantItems || rvOf(t, out) != c.wantRV {
				t.Fatalf("got %d items at rv %s, want %d at %d", len(list.Items), list.ResourceVersion, c.wantItems, c.wantRV)
			}
			if list.Items == nil {
				t.Fatal("items is nil, want an empty list")
			}
		})
	}

	// After compaction an exact read below the compacted revision is gone.
	if _, err := e.client.Compact(ctx, int64(now)); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetList(ctx, "/configmaps/", storage.ListOptions{Recursive: true, ResourceVersion: rv(cur), ResourceVersionMatch: "Exact"})
	if !storage.IsCode(err, storage.ErrCodeResourceExpired) {
		t.Fatalf("exact list at a compacted revision: got %v, want ResourceExpired", err)
	}
}

// TestListContinueAfterCompaction pins a paged list, compacts past it, and expects 410 with a
// token that resumes at the newest revision, as kube-apiserver answers.
func TestListContinueAfterCompaction(t *testing.T) {
	s, e := newTestStore(t)
	ctx := context.Background()
	fill(t, s, "ns1", 10)
	first, err := s.GetList(ctx, "/configmaps/", storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "/configmaps/ns1/zz-new", configMap("ns1", "zz-new", nil, nil)); err != nil {
		t.Fatal(err)
	}
	cur, err := s.CurrentResourceVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Compact(ctx, int64(cur)); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetList(ctx, "/configmaps/", storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 4, Continue: first.(*corev1.ConfigMapList).Continue}})
	if !storage.IsCode(err, storage.ErrCodeResourceExpired) {
		t.Fatalf("continue at a compacted revision: got %v, want ResourceExpired", err)
	}
	var status *apierrors.StatusError
	if !errors.As(err, &status) || status.ErrStatus.Code != 410 || status.ErrStatus.Reason != metav1.StatusReasonExpired ||
		status.ErrStatus.Continue == "" || status.ErrStatus.Message != inconsistentContinueMsg {
		t.Fatalf("error %v carries no kube Status with a continue token", err)
	}
	rest, err := s.GetList(ctx, "/configmaps/", storage.ListOptions{Recursive: true, Predicate: storage.Predicate{Limit: 100, Continue: status.ErrStatus.Continue}})
	if err != nil {
		t.Fatal(err)
	}
	items := rest.(*corev1.ConfigMapList).Items
	if len(items) != 7 || items[0].Name != "cm-0004" || items[6].Name != "zz-new" {
		t.Fatalf("inconsistent continue listed %d items starting %v; want cm-0004 .. zz-new", len(items), items)
	}
	if rvOf(t, rest) < cur {
		t.Fatalf("inconsistent continue at rv %d, want the newest (>= %d)", rvOf(t, rest), cur)
	}
}
