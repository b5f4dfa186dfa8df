// Package admission runs kapi's admission chain: the mutating plugins in order, then (after the
// registry's own validation) the validating plugins in order, each seeing kube's
// admission.k8s.io/v1 AdmissionReview through the abi interfaces.
//
// One review is built per request stage and encoded once, however many plugins see it; it is
// re-encoded only after a mutating plugin's patch changed the object. An empty chain costs
// nothing: no review is built and nothing is encoded.
//
// # Why are label patches applied to the typed object?
//
// A JSON patch is applied the generic way by decoding the object's JSON, applying it, comparing
// the result with the original and decoding the result into a new object: with three Wasm
// plugins, one of which adds a label, that was 14% of the server's CPU per create. A patch made
// only of "add" operations on the labels, the commonest mutation, is applied to a copy of the
// typed object instead (labelpatch.go), which is then encoded once for the plugins after it. It
// is taken only where the generic way cannot answer differently (a test checks both ways agree);
// every other patch goes the generic way.
//
// admission imports abi, host/request and apimachinery; it must not import plugins (they are
// handed to NewChain) nor other host packages besides request.
//
// # Why a denial without a code is 403
//
// kube answers 400 for a webhook denial that carries no code, and 403 for its in-tree plugins'
// denials. kapi's plugins stand in for both; the in-tree plugins are what clients meet most, so a
// denial without a code is 403 Forbidden, with the webhook-style message that names the plugin. A
// plugin that sets a code in its Result (NamespaceLifecycle answering 404 NotFound, say) is
// answered with its Result unchanged, so a plugin can reproduce kube's exact answer.
package admission
