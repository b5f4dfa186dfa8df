package builtin

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzStrategiesAndTables decodes arbitrary JSON into every built-in type and drives each
// descriptor's table row, fields and strategy over it: none may panic, whatever a client sends.
func FuzzStrategiesAndTables(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"metadata":{"name":"x","namespace":"d","labels":{"a":"b"}}}`,
		`{"spec":{"containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80}]}],"initContainers":[{"name":"i","restartPolicy":"Always"}]},"status":{"initContainerStatuses":[{"name":"i","state":{"terminated":{"exitCode":1}}}],"containerStatuses":[{"state":{"terminated":{"signal":9}}}]}}`,
		`{"spec":{"replicas":-1,"selector":{"matchExpressions":[{"key":"a","operator":"In"}]},"template":{"spec":{"volumes":[{"name":"v"}]}}}}`,
		`{"spec":{"type":"LoadBalancer","ports":[{"port":80,"targetPort":"http"}],"clusterIP":"None"},"status":{"loadBalancer":{"ingress":[{"hostname":"h"}]}}}`,
		`{"spec":{"schedule":"@every 1m","jobTemplate":{"spec":{"completions":3,"parallelism":2}}}}`,
		`{"subsets":[{"addresses":[{"ip":"1.2.3.4"},{"ip":"::1"}],"ports":[{"port":1},{"port":2}]}],"data":{"a b":"c"},"type":"kubernetes.io/tls"}`,
		`{"roleRef":{"kind":"Role"},"subjects":[{"kind":"User"},{"kind":"Other"}],"rules":[{"nonResourceURLs":["/x"],"resources":["pods"]}]}`,
		`{"webhooks":[{"name":"a.b.c","clientConfig":{"service":{"name":"s"}},"rules":[{}]}],"endpoints":[{"addresses":[]}],"ports":[{}]}`,
		`{"spec":{"minAvailable":1,"maxUnavailable":"50%","rules":[{"http":{"paths":[{"path":"x"}]}}],"ingress":[{"ports":[{}]}]}}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i*7))
	}
	resources := Resources()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		r := resources[int(which)%len(resources)]
		obj := r.New()
		if err := json.Unmarshal(data, obj); err != nil {
			return
		}
		ctx := context.Background()
		_, _ = r.TableRow(obj)
		_ = r.SelectableFields(obj)
		_ = r.Strategy.Validate(ctx, obj.DeepCopyObject())

		old := obj.DeepCopyObject()
		r.Strategy.PrepareForCreate(ctx, old)
		_ = r.Strategy.Validate(ctx, old)
		_, _ = r.TableRow(old)

		next := obj.DeepCopyObject()
		r.Strategy.PrepareForUpdate(ctx, next, old)
		_ = r.Strategy.ValidateUpdate(ctx, next, old)
		_ = r.Strategy.SpecChanged(next, old)
		st := obj.DeepCopyObject()
		r.Strategy.PrepareForStatusUpdate(ctx, st, old)
		_ = r.Strategy.ValidateUpdate(ctx, st, old)
	})
}
