package builtin

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

// nameColumn and ageColumn open and close most tables; kube takes descriptions from the API docs.
var (
	nameColumn = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
	ageColumn  = metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}
)

// column builds a column definition; priority 1 marks a -o wide column.
func column(name, typ, description string, priority int32) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description, Priority: priority}
}

// tableFor returns the table columns and row function of one resource: kubectl's printers, or
// kube's default table convertor (NAME, CREATED AT) for a resource without one. Every resource
// Resources lists has a printer.
func tableFor(r schema.GroupVersionResource) ([]metav1.TableColumnDefinition, func(runtime.Object) ([]interface{}, error)) {
	if p, ok := printers[r]; ok {
		return p.columns(), p.row
	}
	return createdAtColumns(), defaultRow
}

// printer is one resource's table: its columns (name first) and a row function.
type printer struct {
	columns func() []metav1.TableColumnDefinition
	row     func(runtime.Object) ([]interface{}, error)
}

// printers holds the resources that kube prints with their own columns.
var printers = map[schema.GroupVersionResource]printer{}

// register adds a resource's printer; printer files call it from init, one per file subject.
func register(r schema.GroupVersionResource, columns func() []metav1.TableColumnDefinition, row func(runtime.Object) ([]interface{}, error)) {
	printers[r] = printer{columns: columns, row: row}
}

// typedRow adapts a row function of one Go type to runtime.Object.
func typedRow[T runtime.Object](f func(T) []interface{}) func(runtime.Object) ([]interface{}, error) {
	return func(obj runtime.Object) ([]interface{}, error) {
		o, ok := obj.(T)
		if !ok {
			return nil, fmt.Errorf("table row: %w", errUnexpectedType(obj))
		}
		return f(o), nil
	}
}

// orNone is kubectl's placeholder for an empty cell.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// podTemplateCells are the CONTAINERS and IMAGES cells of a workload's wide output.
func podTemplateCells(spec corev1.PodSpec) (containers, images string) {
	names := make([]string, 0, len(spec.Containers))
	imgs := make([]string, 0, len(spec.Containers))
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		imgs = append(imgs, c.Image)
	}
	return strings.Join(names, ","), strings.Join(imgs, ",")
}

// templateColumns are the CONTAINERS, IMAGES and SELECTOR wide columns of workloads.
func templateColumns(selectorDoc string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		column("Containers", "string", "Names of each container in the template.", 1),
		column("Images", "string", "Images referenced by each container in the template.", 1),
		column("Selector", "string", selectorDoc, 1),
	}
}

// defaultRow is kube's default row: the name and the creation time.
func defaultRow(obj runtime.Object) ([]interface{}, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	return createdAtRow(m), nil
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
