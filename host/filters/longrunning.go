package filters

import "github.com/kapi-dev/kapi/host/request"

// Long-running requests, as kube-apiserver's BasicLongRunningRequestCheck names them: watches and
// proxies by verb, and the streaming subresources. They hold a connection for as long as the client
// wants, so neither the in-flight limit nor the request timeout applies to them.
var (
	longRunningVerbs        = map[string]bool{"watch": true, "proxy": true}
	longRunningSubresources = map[string]bool{"attach": true, "exec": true, "proxy": true, "log": true, "portforward": true}
)

// IsLongRunning reports whether a request is long-running (a watch, say).
func IsLongRunning(info *request.Info) bool {
	if info == nil || !info.IsResourceRequest {
		return false
	}
	return longRunningVerbs[info.Verb] || longRunningSubresources[info.Subresource]
}

// readOnlyVerbs are the verbs that do not change anything; every other verb counts against the
// mutating in-flight limit, as in kube.
var readOnlyVerbs = map[string]bool{"get": true, "list": true, "watch": true}

// IsMutating reports whether a request counts against the mutating in-flight limit.
func IsMutating(info *request.Info) bool {
	return !readOnlyVerbs[info.Verb]
}
