package controllers

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
)

func TestBootstrapIsIdempotent(t *testing.T) {
	reg := newRegistry(t)
	opts := Options{ServiceClusterIP: "10.0.0.1", SecurePort: 8443, AdvertiseAddress: "192.0.2.10"}
	if err := Bootstrap(context.Background(), reg, opts); err != nil {
		t.Fatal(err)
	}
	svcs := store(t, reg, "", "services")
	first, err := svcs.Get(context.Background(), "default", "kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Bootstrap(context.Background(), reg, opts); err != nil {
		t.Fatalf("second bootstrap: %v", err)
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if _, err := store(t, reg, "", "namespaces").Get(context.Background(), "", ns, nil); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	svc, err := svcs.Get(context.Background(), "default", "kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := svc.(*corev1.Service)
	if s.ResourceVersion != first.(*corev1.Service).ResourceVersion {
		t.Errorf("second bootstrap rewrote the service")
	}
	if s.Spec.ClusterIP != "10.0.0.1" || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != 443 || s.Spec.Ports[0].Name != "https" || s.Spec.Ports[0].TargetPort.IntVal != 8443 {
		t.Errorf("kubernetes service spec %+v", s.Spec)
	}
	ep, err := store(t, reg, "", "endpoints").Get(context.Background(), "default", "kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if subsets := ep.(*corev1.Endpoints).Subsets; len(subsets) != 1 || subsets[0].Addresses[0].IP != "192.0.2.10" || subsets[0].Ports[0].Port != 8443 {
		t.Errorf("kubernetes endpoints %+v", subsets)
	}
	slice, err := store(t, reg, "discovery.k8s.io", "endpointslices").Get(context.Background(), "default", "kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if es := slice.(*discoveryv1.EndpointSlice); es.AddressType != discoveryv1.AddressTypeIPv4 || es.Endpoints[0].Addresses[0] != "192.0.2.10" || *es.Ports[0].Port != 8443 {
		t.Errorf("kubernetes endpointslice %+v", es)
	}
}

func TestBootstrapSkipsLoopbackEndpoints(t *testing.T) {
	reg := newRegistry(t)
	if err := Bootstrap(context.Background(), reg, Options{AdvertiseAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store(t, reg, "", "endpoints").Get(context.Background(), "default", "kubernetes", nil); !apierrors.IsNotFound(err) {
		t.Errorf("loopback endpoints published: %v", err)
	}
	svc, err := store(t, reg, "", "services").Get(context.Background(), "default", "kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := svc.(*corev1.Service); s.Spec.ClusterIP != "10.96.0.1" || s.Spec.Ports[0].TargetPort.IntVal != 6443 {
		t.Errorf("default service %+v", s.Spec)
	}
}

func TestNamespaceDefaults(t *testing.T) {
	reg := newRegistry(t)
	startControllers(t, reg)
	createNamespace(t, reg, "team")
	sas, cms := store(t, reg, "", "serviceaccounts"), store(t, reg, "", "configmaps")

	var firstUID string
	eventually(t, "the default service account", func() (bool, error) {
		sa, err := sas.Get(context.Background(), "team", "default", nil)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err == nil {
			firstUID = string(sa.(*corev1.ServiceAccount).UID)
		}
		return err == nil, err
	})
	eventually(t, "kube-root-ca.crt", func() (bool, error) {
		cm, err := cms.Get(context.Background(), "team", "kube-root-ca.crt", nil)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && cm.(*corev1.ConfigMap).Data["ca.crt"] == testCA, err
	})

	// Deleted: recreated.
	if _, _, err := sas.Delete(context.Background(), "team", "default", registry.Admission{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the default service account to come back", func() (bool, error) {
		sa, err := sas.Get(context.Background(), "team", "default", nil)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && string(sa.(*corev1.ServiceAccount).UID) != firstUID, err
	})
	// Changed: restored.
	_, _, err := cms.Update(context.Background(), "team", "kube-root-ca.crt", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap).DeepCopy()
		cm.Data = map[string]string{"ca.crt": "tampered"}
		return cm, nil
	}, registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "kube-root-ca.crt to be restored", func() (bool, error) {
		cm, err := cms.Get(context.Background(), "team", "kube-root-ca.crt", nil)
		return err == nil && cm.(*corev1.ConfigMap).Data["ca.crt"] == testCA, err
	})
}

func TestNamespaceDeletionRemovesContentThenNamespace(t *testing.T) {
	reg := newRegistry(t)
	startControllers(t, reg)
	createNamespace(t, reg, "doomed")
	cms, nss := store(t, reg, "", "configmaps"), store(t, reg, "", "namespaces")
	create(t, cms, "doomed", configMap("plain"))
	held := configMap("held")
	held.Finalizers = []string{"test/hold"}
	create(t, cms, "doomed", held)
	create(t, store(t, reg, "", "secrets"), "doomed", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}})

	if _, deleted, err := nss.Delete(context.Background(), "", "doomed", registry.Admission{}, nil); err != nil || deleted {
		t.Fatalf("delete namespace: deleted %v err %v", deleted, err)
	}
	eventually(t, "the namespace's plain content to go", func() (bool, error) {
		a, err := gone(cms, "doomed", "plain")()
		if err != nil || !a {
			return a, err
		}
		return gone(store(t, reg, "", "secrets"), "doomed", "s")()
	})
	eventually(t, "the held configmap to be marked for deletion", func() (bool, error) {
		cm, err := cms.Get(context.Background(), "doomed", "held", nil)
		return err == nil && cm.(*corev1.ConfigMap).DeletionTimestamp != nil, err
	})
	ns, err := nss.Get(context.Background(), "", "doomed", nil)
	if err != nil {
		t.Fatalf("the namespace went while a finalizer held its content: %v", err)
	}
	if phase := ns.(*corev1.Namespace).Status.Phase; phase != corev1.NamespaceTerminating {
		t.Errorf("phase %q, want Terminating", phase)
	}
	eventually(t, "the namespace to report what holds it", func() (bool, error) {
		obj, err := nss.Get(context.Background(), "", "doomed", nil)
		if err != nil {
			return false, err
		}
		var content, finalizers string
		for _, c := range obj.(*corev1.Namespace).Status.Conditions {
			switch c.Type {
			case corev1.NamespaceContentRemaining:
				content = c.Message
			case corev1.NamespaceFinalizersRemaining:
				finalizers = c.Message
			}
		}
		return content == "Some resources are remaining: configmaps. has 1 resource instances" &&
			finalizers == "Some content in the namespace has finalizers remaining: test/hold in 1 resource instances", nil
	})
	_, _, err = cms.Update(context.Background(), "doomed", "held", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap).DeepCopy()
		cm.Finalizers = nil
		return cm, nil
	}, registry.Admission{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace to go", gone(nss, "", "doomed"))
}

func TestGarbageCollection(t *testing.T) {
	reg := newRegistry(t)
	startControllers(t, reg)
	createNamespace(t, reg, "gc")
	cms := store(t, reg, "", "configmaps")
	get := func(name string) (*corev1.ConfigMap, error) {
		obj, err := cms.Get(context.Background(), "gc", name, nil)
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.ConfigMap), nil
	}
	del := func(name string, policy metav1.DeletionPropagation) {
		t.Helper()
		if _, _, err := cms.Delete(context.Background(), "gc", name, registry.Admission{}, &metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("background deletes dependents after the owner", func(t *testing.T) {
		owner := create(t, cms, "gc", configMap("bg-owner"))
		create(t, cms, "gc", configMap("bg-dep", ownerRef(owner, false)))
		del("bg-owner", metav1.DeletePropagationBackground)
		eventually(t, "the dependent to go", gone(cms, "gc", "bg-dep"))
	})

	t.Run("orphan keeps dependents without the reference", func(t *testing.T) {
		owner := create(t, cms, "gc", configMap("or-owner"))
		create(t, cms, "gc", configMap("or-dep", ownerRef(owner, true)))
		del("or-owner", metav1.DeletePropagationOrphan)
		eventually(t, "the owner to go", gone(cms, "gc", "or-owner"))
		dep, err := get("or-dep")
		if err != nil {
			t.Fatalf("orphaned dependent: %v", err)
		}
		if len(dep.OwnerReferences) != 0 {
			t.Errorf("orphaned dependent keeps references %v", dep.OwnerReferences)
		}
	})

	t.Run("foreground deletes blocking dependents before the owner", func(t *testing.T) {
		owner := create(t, cms, "gc", configMap("fg-owner"))
		dep := configMap("fg-dep", ownerRef(owner, true))
		// The dependent's own finalizer holds the owner in the foreground until it is released.
		dep.Finalizers = []string{"test/hold"}
		create(t, cms, "gc", dep)
		del("fg-owner", metav1.DeletePropagationForeground)
		eventually(t, "the dependent to be marked for deletion", func() (bool, error) {
			d, err := get("fg-dep")
			return err == nil && d.DeletionTimestamp != nil, err
		})
		o, err := get("fg-owner")
		if err != nil {
			t.Fatalf("the owner went before its blocking dependent: %v", err)
		}
		if o.DeletionTimestamp == nil || len(o.Finalizers) != 1 || o.Finalizers[0] != metav1.FinalizerDeleteDependents {
			t.Errorf("owner in foreground deletion: %+v", o.ObjectMeta)
		}
		_, _, err = cms.Update(context.Background(), "gc", "fg-dep", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			cm := cur.(*corev1.ConfigMap).DeepCopy()
			cm.Finalizers = nil
			return cm, nil
		}, registry.Admission{}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the dependent to go", gone(cms, "gc", "fg-dep"))
		eventually(t, "the owner to go", gone(cms, "gc", "fg-owner"))
	})

	t.Run("foreground cascades through generations", func(t *testing.T) {
		owner := create(t, cms, "gc", configMap("gen-0"))
		child := create(t, cms, "gc", configMap("gen-1", ownerRef(owner, true)))
		grandchild := configMap("gen-2", ownerRef(child, true))
		grandchild.Finalizers = []string{"test/hold"}
		create(t, cms, "gc", grandchild)
		del("gen-0", metav1.DeletePropagationForeground)
		eventually(t, "the grandchild to be marked for deletion", func() (bool, error) {
			d, err := get("gen-2")
			return err == nil && d.DeletionTimestamp != nil, err
		})
		// While the grandchild is held, its parent waits in the foreground, and so does the owner.
		c, err := get("gen-1")
		if err != nil || c.DeletionTimestamp == nil || !hasString(c.Finalizers, metav1.FinalizerDeleteDependents) {
			t.Fatalf("child while the grandchild is held: %+v err %v", c, err)
		}
		if _, err := get("gen-0"); err != nil {
			t.Fatalf("owner went before its descendants: %v", err)
		}
		_, _, err = cms.Update(context.Background(), "gc", "gen-2", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			cm := cur.(*corev1.ConfigMap).DeepCopy()
			cm.Finalizers = nil
			return cm, nil
		}, registry.Admission{}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"gen-2", "gen-1", "gen-0"} {
			eventually(t, name+" to go", gone(cms, "gc", name))
		}
	})

	t.Run("a dependent with a remaining owner stays", func(t *testing.T) {
		a := create(t, cms, "gc", configMap("two-a"))
		b := create(t, cms, "gc", configMap("two-b"))
		create(t, cms, "gc", configMap("two-dep", ownerRef(a, false), ownerRef(b, false)))
		del("two-a", metav1.DeletePropagationBackground)
		eventually(t, "the reference to the gone owner to be dropped", func() (bool, error) {
			d, err := get("two-dep")
			return err == nil && len(d.OwnerReferences) == 1 && d.OwnerReferences[0].Name == "two-b", err
		})
	})

	t.Run("a cluster-scoped owner", func(t *testing.T) {
		nodes := store(t, reg, "", "nodes")
		node := create(t, nodes, "", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}).(*corev1.Node)
		ref := metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
		create(t, cms, "gc", configMap("node-lease", ref))
		if _, _, err := nodes.Delete(context.Background(), "", "node-1", registry.Admission{}, nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the node's dependent to go", gone(cms, "gc", "node-lease"))
	})

	t.Run("an object created with a gone owner is collected", func(t *testing.T) {
		ghost := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "never", UID: "no-such-uid"}
		create(t, cms, "gc", configMap("orphan-at-birth", ghost))
		eventually(t, "the dependent of a missing owner to go", gone(cms, "gc", "orphan-at-birth"))
	})
}

// TestNamespaceDeletionWaitsForGracePeriod: content is left alone for the grace period after
// the namespace's deletion (so no late create elsewhere races the controller), then removed.
func TestNamespaceDeletionWaitsForGracePeriod(t *testing.T) {
	reg := newRegistry(t)
	opts := testOptions()
	opts.NamespaceDeletionGracePeriod = 2 * time.Second
	stop := Start(context.Background(), reg, opts)
	t.Cleanup(stop)
	createNamespace(t, reg, "slow")
	cms := store(t, reg, "", "configmaps")
	create(t, cms, "slow", configMap("content"))
	out, _, err := store(t, reg, "", "namespaces").Delete(context.Background(), "", "slow", registry.Admission{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deleted := out.(*corev1.Namespace).DeletionTimestamp.Time
	eventually(t, "the content to go", gone(cms, "slow", "content"))
	// deletionTimestamp has whole seconds, so the content may go up to a second early.
	if early := time.Since(deleted); early < opts.NamespaceDeletionGracePeriod-time.Second {
		t.Errorf("content deleted %v after the namespace, before the %v grace period", early, opts.NamespaceDeletionGracePeriod)
	}
}
