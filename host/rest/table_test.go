package rest

import (
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kubectlGetAccept is what kubectl get sends.
const kubectlGetAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

func createPods(t *testing.T, e *env, names ...string) {
	t.Helper()
	for _, n := range names {
		e.mustDo(t, "POST", "/api/v1/namespaces/ns/pods",
			`{"metadata":{"name":"`+n+`"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`, http.StatusCreated)
	}
}

func TestTableForPodList(t *testing.T) {
	e := newEnv(t)
	createPods(t, e, "p1", "p2")
	var list corev1.PodList
	e.mustDo(t, "GET", "/api/v1/namespaces/ns/pods", "", http.StatusOK).into(t, &list)

	cases := []struct {
		name       string
		query      string
		wantObject string // kind of each row's object, "" for none
	}{
		{"default includes metadata", "", "PartialObjectMetadata"},
		{"includeObject=Object", "?includeObject=Object", "Pod"},
		{"includeObject=None", "?includeObject=None", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, req{method: "GET", path: "/api/v1/namespaces/ns/pods" + tc.query, headers: []string{"Accept: " + kubectlGetAccept}})
			if resp.code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", resp.code, resp.body)
			}
			var table metav1.Table
			resp.into(t, &table)
			if table.Kind != "Table" || table.APIVersion != "meta.k8s.io/v1" {
				t.Errorf("type %s %s, want Table meta.k8s.io/v1", table.Kind, table.APIVersion)
			}
			if table.ResourceVersion != list.ResourceVersion {
				t.Errorf("table resourceVersion %q, want the list's %q", table.ResourceVersion, list.ResourceVersion)
			}
			if len(table.ColumnDefinitions) == 0 || table.ColumnDefinitions[0].Name != "Name" {
				t.Fatalf("columns %+v, want Name first", table.ColumnDefinitions)
			}
			if len(table.Rows) != 2 {
				t.Fatalf("%d rows, want 2", len(table.Rows))
			}
			for i, row := range table.Rows {
				if len(row.Cells) != len(table.ColumnDefinitions) {
					t.Errorf("row %d has %d cells for %d columns", i, len(row.Cells), len(table.ColumnDefinitions))
				}
				if row.Cells[0] != list.Items[i].Name {
					t.Errorf("row %d name cell %v, want %s", i, row.Cells[0], list.Items[i].Name)
				}
				raw := string(row.Object.Raw)
				if tc.wantObject == "" {
					if raw != "" && raw != "null" {
						t.Errorf("row %d carries an object: %s", i, raw)
					}
					continue
				}
				if !strings.Contains(raw, `"kind":"`+tc.wantObject+`"`) || !strings.Contains(raw, `"name":"`+list.Items[i].Name+`"`) {
					t.Errorf("row %d object %s, want a %s named %s", i, raw, tc.wantObject, list.Items[i].Name)
				}
			}
		})
	}
}

func TestTableForOneObjectWithoutPrinter(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "cm")
	resp := e.do(t, req{method: "GET", path: cmPath + "/cm", headers: []string{"Accept: application/json;as=Table;v=v1beta1;g=meta.k8s.io"}})
	var table metav1.Table
	resp.into(t, &table)
	if resp.code != http.StatusOK || table.APIVersion != "meta.k8s.io/v1beta1" || len(table.Rows) != 1 || table.Rows[0].Cells[0] != "cm" {
		t.Errorf("HTTP %d table %+v", resp.code, table)
	}
}

func TestPartialObjectMetadata(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "a")
	e.createConfigMap(t, "b")
	resp := e.do(t, req{method: "GET", path: cmPath + "/a", headers: []string{"Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"}})
	var p metav1.PartialObjectMetadata
	resp.into(t, &p)
	if resp.code != http.StatusOK || p.Kind != "PartialObjectMetadata" || p.APIVersion != "meta.k8s.io/v1" || p.Name != "a" || p.Labels["a"] != "b" {
		t.Errorf("HTTP %d: %+v", resp.code, p)
	}
	if strings.Contains(string(resp.body), `"data"`) {
		t.Errorf("metadata answer carries data: %s", resp.body)
	}
	// What client-go's metadata informers send for a list: answered in protobuf, whose items
	// carry no kind, or in JSON, whose items do.
	for _, accept := range []string{
		"application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
		"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
	} {
		resp = e.do(t, req{method: "GET", path: cmPath, headers: []string{"Accept: " + accept}})
		var l metav1.PartialObjectMetadataList
		resp.into(t, &l)
		if resp.code != http.StatusOK || l.Kind != "PartialObjectMetadataList" || l.APIVersion != "meta.k8s.io/v1" || len(l.Items) != 2 || l.ResourceVersion == "" {
			t.Fatalf("HTTP %d: %+v", resp.code, l)
		}
		wantKind := "PartialObjectMetadata"
		if resp.header.Get("Content-Type") == mediaProtobuf {
			wantKind = ""
		}
		if l.Items[1].Name != "b" || l.Items[1].Kind != wantKind || len(l.Items[1].ManagedFields) == 0 {
			t.Errorf("%s: item %+v", resp.header.Get("Content-Type"), l.Items[1])
		}
	}
}

func TestYAMLInAndOut(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, req{method: "POST", path: cmPath, body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  k: v\n",
		headers: []string{"Content-Type: application/yaml", "Accept: application/yaml"}})
	if resp.code != http.StatusCreated || resp.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("HTTP %d Content-Type %q: %s", resp.code, resp.header.Get("Content-Type"), resp.body)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(resp.body, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Name != "yml" || cm.Data["k"] != "v" {
		t.Errorf("YAML answer %+v", cm)
	}
}

func TestPrettyOutput(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "cm")
	resp := e.do(t, req{method: "GET", path: cmPath + "/cm?pretty=true"})
	if !strings.Contains(string(resp.body), "\n  \"metadata\": {") {
		t.Errorf("pretty output is not indented: %s", resp.body)
	}
	resp = e.do(t, req{method: "GET", path: cmPath + "/cm"})
	if strings.Count(string(resp.body), "\n") != 1 {
		t.Errorf("plain output is not one line: %s", resp.body)
	}
}
