package rest

import (
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// defaultColumns are kube's columns for a resource without its own printer.
var defaultColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
	{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
}

// parseTableOptions reads includeObject, as kube: None, Object or Metadata (the default).
func parseTableOptions(query map[string][]string) (metav1.IncludeObjectPolicy, error) {
	v := ""
	if vs := query["includeObject"]; len(vs) > 0 {
		v = vs[0]
	}
	switch p := metav1.IncludeObjectPolicy(v); p {
	case "":
		return metav1.IncludeMetadata, nil
	case metav1.IncludeNone, metav1.IncludeObject, metav1.IncludeMetadata:
		return p, nil
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("unrecognized includeObject value: %q", v))
}

// toTable converts an object or a list to a Table, one row per object, with the list's metadata.
func (s *scope) toTable(obj runtime.Object) (*metav1.Table, error) {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: metav1.GroupName + "/" + s.out.metaVersion}}
	var items []runtime.Object
	if meta.IsListType(obj) {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, fmt.Errorf("reading the list for a table: %w", err)
		}
		if lm, err := meta.ListAccessor(obj); err == nil {
			t.ResourceVersion = lm.GetResourceVersion()
			t.Continue = lm.GetContinue()
			t.RemainingItemCount = lm.GetRemainingItemCount()
		}
	} else {
		items = []runtime.Object{obj}
		if m, err := meta.Accessor(obj); err == nil {
			t.ResourceVersion = m.GetResourceVersion()
		}
	}
	t.ColumnDefinitions = s.res.TableColumns
	rowOf := s.res.TableRow
	if rowOf == nil || len(t.ColumnDefinitions) == 0 {
		t.ColumnDefinitions, rowOf = defaultColumns, defaultRow
	}
	t.Rows = make([]metav1.TableRow, 0, len(items))
	for _, item := range items {
		cells, err := rowOf(item)
		if err != nil {
			return nil, fmt.Errorf("printing a table row: %w", err)
		}
		row := metav1.TableRow{Cells: cells}
		switch s.includeObject {
		case metav1.IncludeObject:
			raw, err := encodeJSON(item, s.kind)
			if err != nil {
				return nil, err
			}
			row.Object.Raw = raw
		case metav1.IncludeNone:
		default:
			p, err := s.partialOf(item)
			if err != nil {
				return nil, err
			}
			row.Object.Object = p
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// defaultRow is kube's default row: the name and the creation time.
func defaultRow(obj runtime.Object) ([]interface{}, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	created := ""
	if ts := m.GetCreationTimestamp(); !ts.IsZero() {
		created = ts.UTC().Format(time.RFC3339)
	}
	return []interface{}{m.GetName(), created}, nil
}

// partialOf is an object's PartialObjectMetadata.
func (s *scope) partialOf(obj runtime.Object) (*metav1.PartialObjectMetadata, error) {
	return partialMetadata(obj, s.out.metaVersion)
}

// partialMetadata is an object's PartialObjectMetadata in meta.k8s.io's version.
func partialMetadata(obj runtime.Object, version string) (*metav1.PartialObjectMetadata, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("reading object metadata: %w", err)
	}
	p := meta.AsPartialObjectMetadata(m)
	p.TypeMeta = metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: metav1.GroupName + "/" + version}
	return p, nil
}

// partialListEnvelope is the PartialObjectMetadataList of list, without its items.
func partialListEnvelope(list runtime.Object, version string) *metav1.PartialObjectMetadataList {
	l := &metav1.PartialObjectMetadataList{
		TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: metav1.GroupName + "/" + version},
	}
	if lm, err := meta.ListAccessor(list); err == nil {
		l.ResourceVersion = lm.GetResourceVersion()
		l.Continue = lm.GetContinue()
		l.RemainingItemCount = lm.GetRemainingItemCount()
	}
	return l
}

// toPartial converts an object to PartialObjectMetadata, or a list to PartialObjectMetadataList.
func (s *scope) toPartial(obj runtime.Object) (runtime.Object, error) {
	if !meta.IsListType(obj) {
		return s.partialOf(obj)
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, fmt.Errorf("reading the list for metadata: %w", err)
	}
	l := partialListEnvelope(obj, s.out.metaVersion)
	l.Items = make([]metav1.PartialObjectMetadata, 0, len(items))
	for _, item := range items {
		p, err := s.partialOf(item)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, *p)
	}
	return l, nil
}
