package builtin

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Column descriptions kubectl shows with --show-kind; kube takes them from the API docs.
const (
	nameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
	ageDescription  = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

// nameColumn and ageColumn open and close most tables.
var (
	nameColumn = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: nameDescription}
	ageColumn  = metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: ageDescription}
)

// tableFor returns the table columns and row function of one resource: kubectl's printers, or
// NAME and AGE for resources kube prints with its default printer.
func tableFor(r schema.GroupVersionResource) ([]metav1.TableColumnDefinition, func(runtime.Object) ([]interface{}, error)) {
	if p, ok := printers[r]; ok {
		return p.columns(), p.row
	}
	return []metav1.TableColumnDefinition{nameColumn, ageColumn}, defaultRow
}

// printer is one resource's table: its columns (name first) and a row function.
type printer struct {
	columns func() []metav1.TableColumnDefinition
	row     func(runtime.Object) ([]interface{}, error)
}

// printers holds the resources that kube prints with their own columns.
var printers = map[schema.GroupVersionResource]printer{}

// defaultRow is NAME and AGE.
func defaultRow(obj runtime.Object) ([]interface{}, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	return []interface{}{m.GetName(), age(m.GetCreationTimestamp())}, nil
}

// metaOf returns obj's metadata.
func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("table row: %T has no object metadata", obj)
	}
	return m, nil
}

// age renders a creation timestamp as kubectl does: "<unknown>" when unset.
func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}
