package etcd3

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
)

func TestCreateGet(t *testing.T) {
	s, e := newTestStore(t)
	ctx := context.Background()

	created, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	rv := created.(*corev1.ConfigMap).ResourceVersion
	if rv == "" {
		t.Fatal("created object has no resourceVersion")
	}

	raw, err := e.client.Get(ctx, "/registry/configmaps/ns1/a")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Kvs) != 1 || strconv.FormatInt(raw.Kvs[0].ModRevision, 10) != rv {
		t.Fatalf("etcd holds %v, want one key at mod revision %s", raw.Kvs, rv)
	}
	var stored corev1.ConfigMap
	if err := configMapCodec.Decode(raw.Kvs[0].Value, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.ResourceVersion != "" {
		t.Errorf("stored bytes carry resourceVersion %q", stored.ResourceVersion)
	}

	_, err = s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if !storage.IsCode(err, storage.ErrCodeKeyExists) {
		t.Fatalf("second create: got %v, want KeyExists", err)
	}

	got, err := s.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm := got.(*corev1.ConfigMap); cm.ResourceVersion != rv || cm.Data["k"] != "v" {
		t.Errorf("get = %+v, want rv %s and data k=v", cm, rv)
	}

	_, err = s.Get(ctx, "/configmaps/ns1/missing", storage.GetOptions{})
	if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Errorf("get missing: got %v, want KeyNotFound", err)
	}

	cur, err := s.CurrentResourceVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{ResourceVersion: strconv.FormatUint(cur+100, 10)})
	if !storage.IsCode(err, storage.ErrCodeTooLargeResourceVersion) {
		t.Errorf("get at future rv: got %v, want TooLargeResourceVersion", err)
	}
}

func TestCreateRejectsResourceVersion(t *testing.T) {
	s, _ := newTestStore(t)
	cm := configMap("ns1", "a", nil, nil)
	cm.ResourceVersion = "5"
	if _, err := s.Create(context.Background(), "/configmaps/ns1/a", cm); err == nil {
		t.Fatal("created an object that carries a resourceVersion")
	}
	if _, err := s.Get(context.Background(), "/configmaps/ns1/a", storage.GetOptions{}); !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Fatalf("after the refused create: got %v, want KeyNotFound", err)
	}
}

// TestBadResourceVersionIsBadRequest pins kube's 400 for a resourceVersion that is no number,
// carried as a Status inside the storage error.
func TestBadResourceVersionIsBadRequest(t *testing.T) {
	s, _ := newTestStore(t)
	_, err := s.Get(context.Background(), "/configmaps/ns1/a", storage.GetOptions{ResourceVersion: "x1"})
	var status *apierrors.StatusError
	if !storage.IsCode(err, storage.ErrCodeInvalidObj) || !errors.As(err, &status) || status.ErrStatus.Code != 400 ||
		!strings.HasPrefix(status.ErrStatus.Message, "invalid resource version: ") {
		t.Fatalf("got %v, want InvalidObj wrapping a 400 invalid resource version", err)
	}
}

func TestGuaranteedUpdate(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	created, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, map[string]string{"n": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	rv0 := created.(*corev1.ConfigMap).ResourceVersion
	setData := func(v string) storage.UpdateFunc {
		return func(cur runtime.Object) (runtime.Object, error) {
			cm := cur.(*corev1.ConfigMap)
			cm.Data = map[string]string{"n": v}
			return cm, nil
		}
	}

	updated, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("1"))
	if err != nil {
		t.Fatal(err)
	}
	rv1 := updated.(*corev1.ConfigMap).ResourceVersion
	if rv1 == rv0 || updated.(*corev1.ConfigMap).Data["n"] != "1" {
		t.Fatalf("update gave %+v, want a new rv and n=1", updated)
	}

	// An update that changes nothing writes nothing.
	same, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, setData("1"))
	if err != nil {
		t.Fatal(err)
	}
	if rv := same.(*corev1.ConfigMap).ResourceVersion; rv != rv1 {
		t.Errorf("no-op update moved rv from %s to %s", rv1, rv)
	}

	uid, wrongUID, staleRV := "uid-a", "other", rv0
	cases := []struct {
		name string
		pre  *storage.Preconditions
		code storage.ErrorCode
	}{
		{"uid matches", &storage.Preconditions{UID: &uid}, 0},
		{"uid differs", &storage.Preconditions{UID: &wrongUID}, storage.ErrCodeConflict},
		{"stale resourceVersion", &storage.Preconditions{ResourceVersion: &staleRV}, storage.ErrCodeConflict},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", c.pre, false, setData("p"+strconv.Itoa(i)))
			if c.code == 0 && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if c.code != 0 && !storage.IsCode(err, c.code) {
				t.Fatalf("got %v, want code %d", err, c.code)
			}
		})
	}

	_, err = s.GuaranteedUpdate(ctx, "/configmaps/ns1/missing", nil, false, setData("x"))
	if !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Errorf("update of a missing key: got %v, want KeyNotFound", err)
	}
	made, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/new", nil, true, func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap)
		if cm.Name != "" {
			return nil, errors.New("ignoreNotFound should pass an empty object")
		}
		cm.Name, cm.Namespace = "new", "ns1"
		return cm, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if made.(*corev1.ConfigMap).ResourceVersion == "" {
		t.Error("update-or-create returned no resourceVersion")
	}

	stop := errors.New("stop")
	if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, func(runtime.Object) (runtime.Object, error) { return nil, stop }); !errors.Is(err, stop) {
		t.Errorf("tryUpdate error: got %v, want it passed through", err)
	}
}

// TestGuaranteedUpdateRetriesLostRace makes tryUpdate lose the compare-and-swap once, by writing
// behind its back, and checks that it is called again with the newer object.
func TestGuaranteedUpdateRetriesLostRace(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, map[string]string{"n": "0"})); err != nil {
		t.Fatal(err)
	}
	var seen []string
	out, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap)
		seen = append(seen, cm.Data["n"])
		if len(seen) == 1 {
			if _, err := s.GuaranteedUpdate(ctx, "/configmaps/ns1/a", nil, false, func(o runtime.Object) (runtime.Object, error) {
				o.(*corev1.ConfigMap).Data = map[string]string{"n": "racer"}
				return o, nil
			}); err != nil {
				return nil, err
			}
		}
		cm.Data = map[string]string{"n": cm.Data["n"] + "+1"}
		return cm, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[1] != "racer" || out.(*corev1.ConfigMap).Data["n"] != "racer+1" {
		t.Fatalf("tryUpdate saw %v and stored %v; want a retry on the racer's object", seen, out.(*corev1.ConfigMap).Data)
	}
}

func TestDelete(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	created, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	rv := created.(*corev1.ConfigMap).ResourceVersion
	wrongUID, wrongRV := "other", "1"
	refuse := errors.New("refused")

	if _, err := s.Delete(ctx, "/configmaps/ns1/a", &storage.Preconditions{UID: &wrongUID}, nil); !storage.IsCode(err, storage.ErrCodeConflict) {
		t.Errorf("uid precondition: got %v, want Conflict", err)
	}
	if _, err := s.Delete(ctx, "/configmaps/ns1/a", &storage.Preconditions{ResourceVersion: &wrongRV}, nil); !storage.IsCode(err, storage.ErrCodeConflict) {
		t.Errorf("rv precondition: got %v, want Conflict", err)
	}
	if _, err := s.Delete(ctx, "/configmaps/ns1/a", nil, func(runtime.Object) error { return refuse }); !errors.Is(err, refuse) {
		t.Errorf("validate: got %v, want refused", err)
	}
	deleted, err := s.Delete(ctx, "/configmaps/ns1/a", &storage.Preconditions{ResourceVersion: &rv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	drv, _ := strconv.Atoi(deleted.(*corev1.ConfigMap).ResourceVersion)
	crv, _ := strconv.Atoi(rv)
	if deleted.(*corev1.ConfigMap).Name != "a" || drv <= crv {
		t.Errorf("deleted object %+v: want name a and rv after %s", deleted, rv)
	}
	if _, err := s.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{}); !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Errorf("get after delete: got %v, want KeyNotFound", err)
	}
	if _, err := s.Delete(ctx, "/configmaps/ns1/a", nil, nil); !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Errorf("second delete: got %v, want KeyNotFound", err)
	}
}
