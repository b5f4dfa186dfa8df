package etcdconfig

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// overrideSyntax is kube-apiserver's description of the flag's format.
const overrideSyntax = "must be of format: group/resource#servers, where servers are URLs, semicolon separated"

// ParseOverrides parses --etcd-servers-overrides: comma-separated group/resource#servers, the
// servers separated by ";", the core group written empty ("/events#http://e1:2379;http://e2:2379").
// An empty flag gives no overrides.
func ParseOverrides(flag string) ([]Override, error) {
	var out []Override
	for _, part := range strings.Split(flag, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		o, err := parseOverride(part)
		if err != nil {
			return nil, fmt.Errorf("--etcd-servers-overrides %q: %w", part, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func parseOverride(s string) (Override, error) {
	tokens := strings.Split(s, "#")
	if len(tokens) != 2 {
		return Override{}, fmt.Errorf("want exactly one '#', %s", overrideSyntax)
	}
	gr := strings.Split(tokens[0], "/")
	if len(gr) != 2 {
		return Override{}, fmt.Errorf("%q is not group/resource (the core group is written \"/resource\"), %s", tokens[0], overrideSyntax)
	}
	if gr[1] == "" {
		return Override{}, fmt.Errorf("%q names no resource, %s", tokens[0], overrideSyntax)
	}
	o := Override{GroupResource: schema.GroupResource{Group: gr[0], Resource: gr[1]}}
	for _, server := range strings.Split(tokens[1], ";") {
		if err := validateServer(server); err != nil {
			return Override{}, err
		}
		o.Servers = append(o.Servers, server)
	}
	return o, nil
}
