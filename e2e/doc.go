// Package e2e is kapi's conformance suite. It judges compatibility the way users do: through real
// kubectl (/usr/bin/kubectl) and real client-go, never through a client of ours.
//
// By default the suite builds cmd/apiserver, starts it on a kernel-chosen port with its own data
// directory and embedded etcd, and runs every test against it. Set KAPI_E2E_KUBECONFIG to a
// kubeconfig to run the same tests against any Kubernetes API server instead (a real
// kube-apiserver must pass them too: a test it would fail encodes a wrong belief about Kubernetes).
// Tests that need to start kapi processes themselves (scale-out, restarts) run only in the default
// mode.
//
// e2e imports the server's packages only to start embedded etcd members for the scale-out test;
// everything else goes over the wire.
package e2e
