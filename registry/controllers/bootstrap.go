package controllers

import (
	"context"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kapi-dev/kapi/registry"
)

// bootstrapNamespaces are the namespaces every cluster starts with.
var bootstrapNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// Bootstrap creates what kube-apiserver's bootstrap controllers create: the namespaces default,
// kube-system, kube-public and kube-node-lease, and the kubernetes service in default (port 443
// "https" to the secure port), with its Endpoints when opts.AdvertiseAddress is set. Objects that
// exist are left as they are, so it is safe on every start.
func Bootstrap(ctx context.Context, reg *registry.Registry, opts Options) error {
	opts = opts.withDefaults()
	if ip := net.ParseIP(opts.ServiceClusterIP); ip == nil {
		return fmt.Errorf("bootstrap: service cluster IP %q is not an IP address", opts.ServiceClusterIP)
	}
	nsEntry := reg.Get(namespacesGVR)
	if nsEntry == nil {
		return fmt.Errorf("bootstrap: the registry serves no namespaces")
	}
	for _, name := range bootstrapNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := createIfMissing(ctx, nsEntry.Store, "", ns); err != nil {
			return fmt.Errorf("bootstrap: namespace %s: %w", name, err)
		}
	}
	svcEntry := reg.Get(servicesGVR)
	if svcEntry == nil {
		return fmt.Errorf("bootstrap: the registry serves no services")
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"},
		},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       opts.ServiceClusterIP,
			ClusterIPs:      []string{opts.ServiceClusterIP},
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{
				Name: "https", Protocol: corev1.ProtocolTCP, Port: 443,
				TargetPort: intstr.FromInt32(opts.SecurePort),
			}},
		},
	}
	if err := createIfMissing(ctx, svcEntry.Store, metav1.NamespaceDefault, svc); err != nil {
		return fmt.Errorf("bootstrap: the kubernetes service: %w", err)
	}
	return bootstrapEndpoints(ctx, reg, opts)
}

// bootstrapEndpoints publishes the server's address as the kubernetes service's Endpoints and
// EndpointSlice, as kube's endpoint reconciler does. Loopback and unspecified addresses are
// not published: kube's validation refuses them as endpoints, and nobody outside could use them.
func bootstrapEndpoints(ctx context.Context, reg *registry.Registry, opts Options) error {
	ip := net.ParseIP(opts.AdvertiseAddress)
	if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return nil
	}
	if epEntry := reg.Get(endpointsGVR); epEntry != nil {
		if err := createIfMissing(ctx, epEntry.Store, metav1.NamespaceDefault, kubernetesEndpoints(opts)); err != nil {
			return fmt.Errorf("bootstrap: the kubernetes endpoints: %w", err)
		}
	}
	if sliceEntry := reg.Get(endpointSlicesGVR); sliceEntry != nil {
		if err := createIfMissing(ctx, sliceEntry.Store, metav1.NamespaceDefault, kubernetesEndpointSlice(opts, ip)); err != nil {
			return fmt.Errorf("bootstrap: the kubernetes endpointslice: %w", err)
		}
	}
	return nil
}

func kubernetesEndpoints(opts Options) *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"},
		},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: opts.AdvertiseAddress}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: opts.SecurePort, Protocol: corev1.ProtocolTCP}},
		}},
	}
}

func kubernetesEndpointSlice(opts Options, ip net.IP) *discoveryv1.EndpointSlice {
	addressType := discoveryv1.AddressTypeIPv4
	if ip.To4() == nil {
		addressType = discoveryv1.AddressTypeIPv6
	}
	ready := true
	name, protocol, port := "https", corev1.ProtocolTCP, opts.SecurePort
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"},
		},
		AddressType: addressType,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{opts.AdvertiseAddress},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: &name, Protocol: &protocol, Port: &port}},
	}
}

func createIfMissing(ctx context.Context, s registry.Store, namespace string, obj runtime.Object) error {
	_, err := s.Create(ctx, namespace, obj, registry.Admission{}, &metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
