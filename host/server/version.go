package server

import (
	"encoding/json"
	"net/http"
	"runtime"

	"k8s.io/apimachinery/pkg/version"
)

// Version is what /version reports. kapi speaks the API of Kubernetes 1.32, so kubectl 1.32 (and
// its neighbours) talk to it without a version-skew warning.
var Version = version.Info{
	Major:        "1",
	Minor:        "32",
	GitVersion:   "v1.32.0-kapi",
	GitCommit:    "",
	GitTreeState: "",
	BuildDate:    "",
	GoVersion:    runtime.Version(),
	Compiler:     runtime.Compiler,
	Platform:     runtime.GOOS + "/" + runtime.GOARCH,
}

// serveVersion answers /version with version.Info as JSON, as kube-apiserver.
func serveVersion(w http.ResponseWriter, _ *http.Request) {
	body, err := json.MarshalIndent(Version, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
