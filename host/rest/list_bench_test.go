package rest

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// BenchmarkListFromCache measures the handler's share of loadbench's cached LIST: 1,000 small
// configmaps at resourceVersion=0 from the watch cache, in JSON and in protobuf.
func BenchmarkListFromCache(b *testing.B) {
	e := newCachedEnv(b)
	for i := range 1000 {
		e.createConfigMap(b, fmt.Sprintf("cm-%04d", i))
	}
	rv := e.listOf(b, cmPath).ResourceVersion
	// Caught up: from here on resourceVersion=0 lists all 1,000.
	if l := e.listOf(b, cmPath+"?resourceVersion="+rv); len(l.Items) != 1000 {
		b.Fatalf("%d items", len(l.Items))
	}
	for _, accept := range []string{mediaJSON, mediaProtobuf} {
		b.Run(accept, func(b *testing.B) {
			r := httptest.NewRequest("GET", cmPath+"?resourceVersion=0", nil)
			r.Header.Set("Accept", accept)
			serveRepeatedly(b, e.handler, r)
		})
	}
}
