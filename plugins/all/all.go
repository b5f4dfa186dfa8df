// Package all registers every built-in plugin with the plugins registry; import it for its side
// effect. It imports the built-ins and nothing else.
package all

import (
	// The built-in authenticators.
	_ "github.com/kapi-dev/kapi/plugins/authn/tokenfile"
	_ "github.com/kapi-dev/kapi/plugins/authn/x509"
	// The built-in admission plugins.
	_ "github.com/kapi-dev/kapi/plugins/admission/namespacelifecycle"
	// The built-in authorizers.
	_ "github.com/kapi-dev/kapi/plugins/authz/alwaysallow"
	_ "github.com/kapi-dev/kapi/plugins/authz/alwaysdeny"
)
