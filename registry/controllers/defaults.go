package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
)

const (
	defaultServiceAccount = "default"
	rootCAConfigMap       = "kube-root-ca.crt"
	rootCAKey             = "ca.crt"
	// rootCADescription is the annotation kube's root CA publisher puts on the ConfigMap.
	rootCADescription = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
)

// namespaceDefaults gives every active namespace what kube's service account controller and
// root CA publisher give it: a "default" ServiceAccount and the kube-root-ca.crt ConfigMap,
// recreated when deleted and the ConfigMap's CA restored when changed.
type namespaceDefaults struct {
	reg  *registry.Registry
	opts Options
	q    *queue
	// active holds the namespaces not being deleted, for resyncs.
	active syncSet
}

func newNamespaceDefaults(reg *registry.Registry, opts Options) *namespaceDefaults {
	return &namespaceDefaults{reg: reg, opts: opts, q: newQueue(), active: newSyncSet()}
}

func (c *namespaceDefaults) queue() *queue { return c.q }

func (c *namespaceDefaults) workers() int { return 2 }

func (c *namespaceDefaults) observe(ev event) {
	switch ev.entry.Resource.GroupVersionResource() {
	case namespacesGVR:
		name := ev.meta.GetName()
		if ev.typ == watch.Deleted || ev.meta.GetDeletionTimestamp() != nil {
			c.active.remove(name)
			return
		}
		c.active.add(name)
		c.q.add(name)
	case serviceAccountsGVR:
		if ev.typ == watch.Deleted && ev.meta.GetName() == defaultServiceAccount {
			c.q.add(ev.meta.GetNamespace())
		}
	case configMapsGVR:
		if ev.meta.GetName() == rootCAConfigMap && (ev.typ == watch.Deleted || !c.rootCAUpToDate(ev.obj)) {
			c.q.add(ev.meta.GetNamespace())
		}
	}
}

func (c *namespaceDefaults) rootCAUpToDate(obj runtime.Object) bool {
	cm, ok := obj.(*corev1.ConfigMap)
	return !ok || len(c.opts.RootCAPEM) == 0 || cm.Data[rootCAKey] == string(c.opts.RootCAPEM)
}

func (c *namespaceDefaults) resync() {
	for _, ns := range c.active.list() {
		c.q.add(ns)
	}
}

func (c *namespaceDefaults) work(ctx context.Context, namespace string) error {
	nsEntry := c.reg.Get(namespacesGVR)
	if nsEntry == nil {
		return nil
	}
	obj, err := nsEntry.Store.Get(ctx, "", namespace, cachedRead)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns, ok := obj.(*corev1.Namespace); !ok || ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return nil
	}
	if err := c.ensureServiceAccount(ctx, namespace); err != nil {
		return err
	}
	return c.ensureRootCA(ctx, namespace)
}

func (c *namespaceDefaults) ensureServiceAccount(ctx context.Context, namespace string) error {
	e := c.reg.Get(serviceAccountsGVR)
	if e == nil {
		return nil
	}
	_, err := e.Store.Get(ctx, namespace, defaultServiceAccount, cachedRead)
	if !apierrors.IsNotFound(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: defaultServiceAccount, Namespace: namespace}}
	_, err = e.Store.Create(ctx, namespace, sa, registry.Admission{}, &metav1.CreateOptions{})
	return ignoreGone(err)
}

func (c *namespaceDefaults) ensureRootCA(ctx context.Context, namespace string) error {
	e := c.reg.Get(configMapsGVR)
	if e == nil || len(c.opts.RootCAPEM) == 0 {
		return nil
	}
	obj, err := e.Store.Get(ctx, namespace, rootCAConfigMap, cachedRead)
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name: rootCAConfigMap, Namespace: namespace,
				Annotations: map[string]string{"kubernetes.io/description": rootCADescription},
			},
			Data: map[string]string{rootCAKey: string(c.opts.RootCAPEM)},
		}
		_, err = e.Store.Create(ctx, namespace, cm, registry.Admission{}, &metav1.CreateOptions{})
		return ignoreGone(err)
	}
	if err != nil {
		return err
	}
	if c.rootCAUpToDate(obj) {
		return nil
	}
	_, _, err = e.Store.Update(ctx, namespace, rootCAConfigMap, "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		cm, ok := current.(*corev1.ConfigMap)
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), rootCAConfigMap)
		}
		cm = cm.DeepCopy()
		cm.Data = map[string]string{rootCAKey: string(c.opts.RootCAPEM)}
		return cm, nil
	}, registry.Admission{}, false, &metav1.UpdateOptions{})
	return ignoreGone(err)
}

// cachedRead reads from the watch cache: the controller re-checks every resync, a stale
// answer only costs a create that is refused as AlreadyExists or Forbidden, and reading etcd
// for every namespace on every resync would not be free.
var cachedRead = &metav1.GetOptions{ResourceVersion: "0"}

// ignoreGone drops the errors that mean the work no longer matters: the object appeared
// meanwhile, or its namespace went away or began terminating.
func ignoreGone(err error) error {
	if err == nil || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil
	}
	return err
}
