package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/pager"
	"k8s.io/client-go/util/retry"
)

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}
}

func TestInformerSeesAnotherClientsChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := testNamespace(t)
	factory := informers.NewSharedInformerFactoryWithOptions(clientset, 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().ConfigMaps().Informer()
	var mu sync.Mutex
	events := map[string][]string{}
	record := func(kind string) func(obj interface{}) {
		return func(obj interface{}) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			cm := obj.(*corev1.ConfigMap)
			mu.Lock()
			events[cm.Name] = append(events[cm.Name], kind)
			mu.Unlock()
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record("add"),
		UpdateFunc: func(_, obj interface{}) { record("update")(obj) },
		DeleteFunc: record("delete"),
	}); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	// Shutdown waits for the informers, which stop only when ctx ends.
	defer func() { cancel(); factory.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer never synced")
	}

	cms := clientset.CoreV1().ConfigMaps(ns)
	for i := 0; i < 5; i++ {
		if _, err := cms.Create(ctx, configMap(fmt.Sprintf("cm-%d", i), map[string]string{"v": "0"}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		cm, err := cms.Get(ctx, fmt.Sprintf("cm-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm.Data["v"] = "1"
		if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cms.Delete(ctx, "cm-4", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	// The informer's cache must converge on exactly what a fresh list returns.
	eventually(t, "informer cache to equal a fresh list", func() (bool, error) {
		list, err := cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return sameObjects(list.Items, inf.GetStore().List()), nil
	})
	mu.Lock()
	defer mu.Unlock()
	want := map[string][]string{
		"cm-0": {"add", "update"}, "cm-1": {"add", "update"}, "cm-2": {"add", "update"},
		"cm-3": {"add"}, "cm-4": {"add", "delete"},
	}
	for name, kinds := range want {
		if fmt.Sprint(events[name]) != fmt.Sprint(kinds) {
			t.Errorf("%s: informer events %v, want %v", name, events[name], kinds)
		}
	}
}

// sameObjects compares a list with an informer's contents by name and resourceVersion.
func sameObjects(items []corev1.ConfigMap, cached []interface{}) bool {
	a := map[string]string{}
	for _, cm := range items {
		a[cm.Name] = cm.ResourceVersion
	}
	b := map[string]string{}
	for _, o := range cached {
		cm := o.(*corev1.ConfigMap)
		b[cm.Name] = cm.ResourceVersion
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestWatchFromCompactedRevisionIsGoneAndReflectorRelists(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := testNamespace(t)
	cms := clientset.CoreV1().ConfigMaps(ns)
	first, err := cms.Create(ctx, configMap("old", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	staleRV := first.ResourceVersion

	// Keep writing until a watch from the first revision is refused with 410 Gone: etcd's
	// compaction and the watch cache's window (75s of history, as kube-apiserver's) have both
	// passed it.
	counter := 0
	eventuallyWithin(t, 5*time.Minute, "a watch from an old resourceVersion to answer 410 Gone", func() (bool, error) {
		for i := 0; i < 50; i++ {
			counter++
			if _, err := cms.Create(ctx, configMap("filler-"+strconv.Itoa(counter), nil), metav1.CreateOptions{}); err != nil {
				return false, err
			}
		}
		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: staleRV})
		if err != nil {
			return apierrors.IsResourceExpired(err) || apierrors.IsGone(err), nil
		}
		defer w.Stop()
		select {
		case ev := <-w.ResultChan():
			if ev.Type != watch.Error {
				return false, nil
			}
			status, ok := ev.Object.(*metav1.Status)
			if !ok {
				return false, fmt.Errorf("ERROR event carries %T", ev.Object)
			}
			if status.Code != 410 || status.Reason != metav1.StatusReasonExpired {
				return false, fmt.Errorf("ERROR event status %d %s, want 410 Expired", status.Code, status.Reason)
			}
			return true, nil
		case <-time.After(5 * time.Second):
			return false, nil
		}
	})

	// A reflector whose first list claims the stale revision: its watch gets 410 and it must
	// recover by listing again, ending with the full set.
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	var lists int
	var listMu sync.Mutex
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			listMu.Lock()
			lists++
			n := lists
			listMu.Unlock()
			l, err := cms.List(ctx, opts)
			if err == nil && n == 1 {
				l.ResourceVersion = staleRV
			}
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return cms.Watch(ctx, opts)
		},
	}
	r := cache.NewReflectorWithOptions(listOnlyWatcher{lw}, &corev1.ConfigMap{}, store, cache.ReflectorOptions{})
	go r.Run(ctx.Done())
	if _, err := cms.Create(ctx, configMap("after-relist", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reflector to relist and hold every object", func() (bool, error) {
		listMu.Lock()
		n := lists
		listMu.Unlock()
		fresh, err := cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		cached := store.List()
		for i := range cached {
			cached[i] = cached[i].(*corev1.ConfigMap)
		}
		return n >= 2 && sameObjects(fresh.Items, cached), nil
	})
}

// listOnlyWatcher makes a reflector list-then-watch rather than stream a watch list, so that
// its first list (and the stale revision it claims) is really used.
type listOnlyWatcher struct{ *cache.ListWatch }

func (listOnlyWatcher) IsWatchListSemanticsUnSupported() bool { return true }

func TestPagingReturnsEachObjectOnce(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	const n = 520
	cms := clientset.CoreV1().ConfigMaps(ns)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := cms.Create(ctx, configMap(fmt.Sprintf("page-%04d", i), nil), metav1.CreateOptions{}); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]int{}
	pages := 0
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		pages++
		return cms.List(ctx, opts)
	})
	p.PageSize = 50
	err := p.EachListItem(ctx, metav1.ListOptions{LabelSelector: ""}, func(obj runtime.Object) error {
		m, err := meta.Accessor(obj)
		if err != nil {
			return err
		}
		seen[m.GetName()]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < n/50 {
		t.Errorf("%d pages for %d objects at 50 a page: the server ignored limit", pages, n)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("page-%04d", i)
		if seen[name] != 1 {
			t.Errorf("%s seen %d times", name, seen[name])
		}
	}
}

// contendedRetry is a retry budget for 50 writers of one object: client-go's DefaultRetry gives
// up after five conflicts, which any server, kube-apiserver included, can cause at this
// contention.
var contendedRetry = wait.Backoff{Steps: 200, Duration: 5 * time.Millisecond, Factor: 1.1, Jitter: 1, Cap: 200 * time.Millisecond}

func TestConcurrentUpdatersLoseNothing(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	cms := clientset.CoreV1().ConfigMaps(ns)
	if _, err := cms.Create(ctx, configMap("counter", map[string]string{"n": "0"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const updaters = 50
	var wg sync.WaitGroup
	errs := make(chan error, updaters)
	for i := 0; i < updaters; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- retry.RetryOnConflict(contendedRetry, func() error {
				cm, err := cms.Get(ctx, "counter", metav1.GetOptions{})
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(cm.Data["n"])
				cm.Data["n"] = strconv.Itoa(n + 1)
				_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cm, err := cms.Get(ctx, "counter", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["n"] != strconv.Itoa(updaters) {
		t.Fatalf("counter is %s after %d updates", cm.Data["n"], updaters)
	}
}

func TestDynamicClientWithDiscoveryRESTMapper(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace(t)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(clientset.Discovery()))
	tests := []struct {
		gk       schema.GroupKind
		resource string
		obj      map[string]interface{}
	}{
		{schema.GroupKind{Group: "apps", Kind: "Deployment"}, "deployments", map[string]interface{}{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]interface{}{"name": "dyn"},
			"spec": map[string]interface{}{
				"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"app": "dyn"}},
				"template": map[string]interface{}{
					"metadata": map[string]interface{}{"labels": map[string]interface{}{"app": "dyn"}},
					"spec": map[string]interface{}{"containers": []interface{}{
						map[string]interface{}{"name": "c", "image": "nginx:1.25"},
					}},
				},
			},
		}},
		{schema.GroupKind{Kind: "ConfigMap"}, "configmaps", map[string]interface{}{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]interface{}{"name": "dyn"},
			"data":     map[string]interface{}{"k": "v"},
		}},
		{schema.GroupKind{Group: "coordination.k8s.io", Kind: "Lease"}, "leases", map[string]interface{}{
			"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
			"metadata": map[string]interface{}{"name": "dyn"},
			"spec":     map[string]interface{}{"holderIdentity": "me"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.gk.String(), func(t *testing.T) {
			m, err := mapper.RESTMapping(tc.gk)
			if err != nil {
				t.Fatal(err)
			}
			if m.Resource.Resource != tc.resource || m.Scope.Name() != meta.RESTScopeNameNamespace {
				t.Fatalf("mapping %v scope %s", m.Resource, m.Scope.Name())
			}
			res := dynClient.Resource(m.Resource).Namespace(ns)
			created, err := res.Create(ctx, &unstructured.Unstructured{Object: tc.obj}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.Get(ctx, "dyn", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetUID() != created.GetUID() || got.GetUID() == "" {
				t.Fatalf("uid %q vs created %q", got.GetUID(), created.GetUID())
			}
			list, err := res.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, it := range list.Items {
				if it.GetName() == "dyn" {
					found++
				}
			}
			if found != 1 {
				t.Fatalf("dynamic list holds %q %d times, want once", "dyn", found)
			}
		})
	}
}
