package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/storage/embedded"
)

// TestScaleOutTwoReplicasOneEtcdCluster runs two kapi replicas against one three-member etcd
// cluster: a write through one replica reaches a watcher on the other, and stopping one etcd
// member loses no acknowledged write.
func TestScaleOutTwoReplicasOneEtcdCluster(t *testing.T) {
	needLocal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base := t.TempDir()
	dirs := []string{filepath.Join(base, "m0"), filepath.Join(base, "m1"), filepath.Join(base, "m2")}
	members, err := embedded.StartCluster(ctx, dirs)
	if err != nil {
		t.Fatalf("starting a 3-member etcd cluster: %v", err)
	}
	var endpoints []string
	for _, m := range members {
		endpoints = append(endpoints, m.Endpoints()...)
		defer m.Close()
	}
	replicas := make([]*kubernetes.Clientset, 2)
	for i := range replicas {
		s, err := StartServer(ctx, ServerOptions{
			Binary:  binary,
			DataDir: filepath.Join(base, fmt.Sprintf("kapi%d", i)),
			Args:    []string{"--etcd-servers=" + strings.Join(endpoints, ",")},
		})
		if err != nil {
			t.Fatalf("starting replica %d: %v", i, err)
		}
		defer s.Stop()
		s.Config.QPS, s.Config.Burst = 200, 400
		replicas[i] = kubernetes.NewForConfigOrDie(s.Config)
	}
	a, b := replicas[0], replicas[1]
	nsObj, err := a.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scaleout"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := nsObj.Name

	// A write through A reaches a watcher on B.
	w, err := b.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: nsObj.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created, err := a.CoreV1().ConfigMaps(ns).Create(ctx, configMap("crossing", map[string]string{"from": "a"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for seen := false; !seen; {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch on replica B ended before the event arrived")
			}
			if cm, isCM := ev.Object.(*corev1.ConfigMap); isCM && ev.Type == watch.Added && cm.Name == "crossing" {
				if cm.ResourceVersion != created.ResourceVersion {
					t.Errorf("B saw resourceVersion %s, A wrote %s", cm.ResourceVersion, created.ResourceVersion)
				}
				seen = true
			}
		case <-ctx.Done():
			t.Fatal("replica B's watcher never saw the write made through replica A")
		}
	}

	// Stop one member; every write acknowledged before and after stays readable through B.
	acked := []string{"crossing"}
	write := func(name string) {
		if _, err := a.CoreV1().ConfigMaps(ns).Create(ctx, configMap(name, nil), metav1.CreateOptions{}); err == nil {
			acked = append(acked, name)
		}
	}
	for i := 0; i < 20; i++ {
		write(fmt.Sprintf("before-%d", i))
	}
	if err := members[2].Close(); err != nil {
		t.Fatalf("stopping member 2: %v", err)
	}
	for i := 0; i < 20; i++ {
		write(fmt.Sprintf("after-%d", i))
	}
	if len(acked) < 21 {
		t.Fatalf("only %d writes acknowledged with two of three members up", len(acked))
	}
	for _, name := range acked {
		if _, err := b.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("acknowledged write %s lost: %v", name, err)
		}
	}
}

// TestRestartKeepsAcknowledgedWrites stops a server with SIGTERM while it is being written to and
// starts it again on the same data directory: every acknowledged write is still there.
func TestRestartKeepsAcknowledgedWrites(t *testing.T) {
	needLocal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := StartServer(ctx, ServerOptions{Binary: binary, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := kubernetes.NewForConfigOrDie(s.Config)
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			name := fmt.Sprintf("w-%d", i)
			if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, configMap(name, nil), metav1.CreateOptions{}); err != nil {
				return
			}
			acked = append(acked, name)
			if i == 30 {
				go s.Stop()
			}
		}
	}()
	<-done
	if err := s.Stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	s, err = StartServer(ctx, ServerOptions{Binary: binary, DataDir: dir})
	if err != nil {
		t.Fatalf("restarting on the same data directory: %v", err)
	}
	defer s.Stop()
	c = kubernetes.NewForConfigOrDie(s.Config)
	for _, name := range acked {
		if _, err := c.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("acknowledged write %s lost across SIGTERM and restart: %v", name, err)
		}
	}
}
