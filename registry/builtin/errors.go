package builtin

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// errUnexpectedType reports an object handed to a strategy of another type: a wiring bug.
func errUnexpectedType(obj runtime.Object) error {
	return fmt.Errorf("builtin strategy: unexpected object type %T", obj)
}
