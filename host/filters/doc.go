// Package filters holds the stages of kapi's HTTP handler chain, one filter a file, each a
// func WithX(next http.Handler, ...) http.Handler as kube-apiserver's endpoints/filters. Facts a
// filter learns about a request (its RequestInfo, its user, when it was received) travel in the
// request context through host/request. The chain's order is not decided here: host/server
// assembles it in one function.
//
// filters imports abi, host/request, host/status and host/metrics; it must not import the server,
// the REST handlers, the registry or storage.
package filters
