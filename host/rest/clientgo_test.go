package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// contentTypes records the Content-Type of every response a client receives.
type contentTypes struct {
	mu   sync.Mutex
	seen map[string]int
	next http.RoundTripper
}

func (c *contentTypes) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.seen[resp.Header.Get("Content-Type")]++
		c.mu.Unlock()
	}
	return resp, err
}

func (c *contentTypes) count(ct string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[ct]
}

// TestClientGoProtobuf runs client-go as kube's controllers configure it, sending protobuf and
// accepting protobuf before JSON, against the handler over the watch cache: get, list (from the
// cache and from etcd), create, update, delete, an informer's list and watch, a 404 read as a
// NotFound StatusError, and the metadata client's PartialObjectMetadata list. Every answer must
// come in protobuf.
func TestClientGoProtobuf(t *testing.T) {
	e := newCachedEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	seen := &contentTypes{seen: map[string]int{}}
	cfg := &rest.Config{
		Host: srv.URL,
		ContentConfig: rest.ContentConfig{
			ContentType:        "application/vnd.kubernetes.protobuf",
			AcceptContentTypes: "application/vnd.kubernetes.protobuf,application/json",
		},
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			seen.next = rt
			return seen
		},
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cms := cs.CoreV1().ConfigMaps("ns")

	// An informer first, so that it sees every change below through its watch.
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("ns"))
	informer := factory.Core().V1().ConfigMaps().Informer()
	events := make(chan string, 16)
	_, err = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { events <- "add " + obj.(*corev1.ConfigMap).Name },
		UpdateFunc: func(_, obj interface{}) {
			events <- "update " + obj.(*corev1.ConfigMap).Name + " " + obj.(*corev1.ConfigMap).Data["k"]
		},
		DeleteFunc: func(obj interface{}) {
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				events <- "delete " + cm.Name
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		t.Fatal("the informer did not sync")
	}

	created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pb"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	if err != nil || created.Data["k"] != "v" || created.ResourceVersion == "" {
		t.Fatalf("create: %v %+v", err, created)
	}
	got, err := cms.Get(ctx, "pb", metav1.GetOptions{})
	if err != nil || got.UID != created.UID {
		t.Fatalf("get: %v %+v", err, got)
	}
	got.Data["k"] = "changed"
	updated, err := cms.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil || updated.Data["k"] != "changed" {
		t.Fatalf("update: %v %+v", err, updated)
	}
	for _, rv := range []string{updated.ResourceVersion, ""} {
		l, err := cms.List(ctx, metav1.ListOptions{ResourceVersion: rv})
		if err != nil || len(l.Items) != 1 || l.Items[0].Data["k"] != "changed" || l.ResourceVersion == "" {
			t.Fatalf("list at %q: %v %+v", rv, err, l)
		}
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := md.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("ns").List(ctx, metav1.ListOptions{})
	if err != nil || len(pl.Items) != 1 || pl.Items[0].Name != "pb" {
		t.Fatalf("metadata list: %v %+v", err, pl)
	}
	if err := cms.Delete(ctx, "pb", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = cms.Get(ctx, "pb", metav1.GetOptions{})
	var st *apierrors.StatusError
	if !apierrors.IsNotFound(err) || !asStatusError(err, &st) || st.ErrStatus.Reason != metav1.StatusReasonNotFound || st.ErrStatus.Message != `configmaps "pb" not found` {
		t.Fatalf("get of a deleted configmap: %#v, want a NotFound StatusError", err)
	}

	for _, want := range []string{"add pb", "update pb changed", "delete pb"} {
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("informer event %q, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no informer event %q", want)
		}
	}
	if n := seen.count("application/json"); n != 0 {
		t.Errorf("%d answers in JSON: %v", n, seen.seen)
	}
	if seen.count(mediaProtobuf) == 0 || seen.count(mediaProtobuf+";stream=watch") == 0 {
		t.Errorf("answers by content type: %v", seen.seen)
	}
}

func asStatusError(err error, st **apierrors.StatusError) bool {
	s, ok := err.(*apierrors.StatusError)
	*st = s
	return ok
}

// TestMetadataClientWatchProtobuf: the metadata client (kube's garbage collector and quota
// controllers) watches PartialObjectMetadata in protobuf frames.
func TestMetadataClientWatchProtobuf(t *testing.T) {
	e := newCachedEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	seen := &contentTypes{seen: map[string]int{}}
	cfg := &rest.Config{Host: srv.URL, WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
		seen.next = rt
		return seen
	}}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := md.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("ns").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e.createConfigMap(t, "watched")
	select {
	case ev := <-w.ResultChan():
		p, ok := ev.Object.(*metav1.PartialObjectMetadata)
		if ev.Type != watch.Added || !ok || p.Name != "watched" || p.Labels["a"] != "b" {
			t.Fatalf("event %s %#v", ev.Type, ev.Object)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
	if seen.count(mediaProtobuf+";stream=watch") != 1 {
		t.Errorf("answers by content type: %v", seen.seen)
	}
}
