package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// watchStream is a running watch request over real HTTP.
type watchStream struct {
	resp    *http.Response
	lines   *bufio.Scanner
	cancel  context.CancelFunc
	t       *testing.T
	rawLast []byte
}

func startWatch(t *testing.T, srv *httptest.Server, path, accept string) *watchStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("watch %s: HTTP %d", path, resp.StatusCode)
	}
	s := &watchStream{resp: resp, lines: bufio.NewScanner(resp.Body), cancel: cancel, t: t}
	s.lines.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(s.stop)
	return s
}

func (s *watchStream) stop() {
	s.cancel()
	s.resp.Body.Close()
}

// next reads one event; ok is false when the stream ended.
func (s *watchStream) next() (typ string, object json.RawMessage, ok bool) {
	s.t.Helper()
	if !s.lines.Scan() {
		return "", nil, false
	}
	s.rawLast = append([]byte(nil), s.lines.Bytes()...)
	var ev struct {
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(s.lines.Bytes(), &ev); err != nil {
		s.t.Fatalf("watch line is not an event: %v: %s", err, s.lines.Bytes())
	}
	return ev.Type, ev.Object, true
}

func TestWatchStreamsToConcurrentWatchers(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	var list corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath, "", http.StatusOK).into(t, &list)

	// One watcher by ?watch=true, one by the /watch/ path.
	watchers := []*watchStream{
		startWatch(t, srv, cmPath+"?watch=true&resourceVersion="+list.ResourceVersion, ""),
		startWatch(t, srv, "/api/v1/watch/namespaces/ns/configmaps?resourceVersion="+list.ResourceVersion, ""),
	}
	if ct := watchers[0].resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	e.createConfigMap(t, "w")
	if resp := e.do(t, req{method: "PATCH", path: cmPath + "/w", body: `{"data":{"k":"2"}}`,
		headers: []string{"Content-Type: application/merge-patch+json"}}); resp.code != http.StatusOK {
		t.Fatalf("patch: HTTP %d: %s", resp.code, resp.body)
	}
	e.mustDo(t, "DELETE", cmPath+"/w", "", http.StatusOK)

	want := []struct{ typ, data string }{{"ADDED", "v"}, {"MODIFIED", "2"}, {"DELETED", "2"}}
	var lines [][]string
	for wi, w := range watchers {
		var got []string
		for _, ev := range want {
			typ, obj, ok := w.next()
			if !ok {
				t.Fatalf("watcher %d ended before %s", wi, ev.typ)
			}
			var cm corev1.ConfigMap
			if err := json.Unmarshal(obj, &cm); err != nil {
				t.Fatal(err)
			}
			if typ != ev.typ || cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "w" || cm.Data["k"] != ev.data {
				t.Errorf("watcher %d: %s %s/%s %s data %v, want %s of w with k=%s", wi, typ, cm.APIVersion, cm.Kind, cm.Name, cm.Data, ev.typ, ev.data)
			}
			got = append(got, string(w.rawLast))
		}
		lines = append(lines, got)
	}
	for i := range lines[0] {
		if lines[0][i] != lines[1][i] {
			t.Errorf("watchers got different bytes for event %d:\n%s\n%s", i, lines[0][i], lines[1][i])
		}
	}
}

func TestWatchFromNowStartsWithCurrentState(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "existing")
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	w := startWatch(t, srv, cmPath+"?watch=1", "")
	typ, obj, ok := w.next()
	var cm corev1.ConfigMap
	if ok {
		_ = json.Unmarshal(obj, &cm)
	}
	if !ok || typ != "ADDED" || cm.Name != "existing" {
		t.Errorf("first event %q %q, want ADDED existing", typ, cm.Name)
	}
}

func TestWatchOfOneObjectByName(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	var list corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath, "", http.StatusOK).into(t, &list)
	w := startWatch(t, srv, "/api/v1/watch/namespaces/ns/configmaps/two?resourceVersion="+list.ResourceVersion, "")
	e.createConfigMap(t, "one")
	e.createConfigMap(t, "two")
	typ, obj, ok := w.next()
	var cm corev1.ConfigMap
	if ok {
		_ = json.Unmarshal(obj, &cm)
	}
	if !ok || typ != "ADDED" || cm.Name != "two" {
		t.Errorf("first event %q %q, want ADDED two only", typ, cm.Name)
	}
}

func TestWatchAsTable(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	var list corev1.PodList
	e.mustDo(t, "GET", "/api/v1/namespaces/ns/pods", "", http.StatusOK).into(t, &list)
	// kubectl get -w.
	w := startWatch(t, srv, "/api/v1/namespaces/ns/pods?watch=true&resourceVersion="+list.ResourceVersion, kubectlGetAccept)
	createPods(t, e, "p")
	typ, obj, ok := w.next()
	if !ok {
		t.Fatal("watch ended")
	}
	var table metav1.Table
	if err := json.Unmarshal(obj, &table); err != nil {
		t.Fatal(err)
	}
	if typ != "ADDED" || table.Kind != "Table" || len(table.Rows) != 1 || table.Rows[0].Cells[0] != "p" || len(table.ColumnDefinitions) == 0 {
		t.Errorf("event %s %+v, want ADDED Table with one row for p", typ, table)
	}
}

func TestWatchEnds(t *testing.T) {
	stop := make(chan struct{})
	e := newEnvWith(t, nil, Options{Stop: stop})
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	var list corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath, "", http.StatusOK).into(t, &list)

	timed := startWatch(t, srv, cmPath+"?watch=true&timeoutSeconds=1&resourceVersion="+list.ResourceVersion, "")
	if typ, _, ok := timed.next(); ok {
		t.Errorf("a watch with timeoutSeconds got %s instead of ending", typ)
	}

	stopped := startWatch(t, srv, cmPath+"?watch=true&resourceVersion="+list.ResourceVersion, "")
	close(stop)
	if typ, _, ok := stopped.next(); ok {
		t.Errorf("a watch got %s after the server stopped", typ)
	}
}

func TestWatchRefusesYAML(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, req{method: "GET", path: cmPath + "?watch=true", headers: []string{"Accept: application/yaml"}})
	// The Status comes in YAML, as asked; it names the stream types, as kube's does.
	want := "only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch"
	if st := resp.status(t); resp.code != http.StatusNotAcceptable || st.Reason != metav1.StatusReasonNotAcceptable || st.Message != want {
		t.Errorf("HTTP %d %+v, want 406: %s", resp.code, st, want)
	}
}

// TestWatchList is what client-go's informers do by default (WatchListClient): a watch that
// starts with the current state and marks its end with a bookmark.
func TestWatchList(t *testing.T) {
	e := newEnv(t)
	e.createConfigMap(t, "a")
	e.createConfigMap(t, "b")
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	w := startWatch(t, srv, cmPath+"?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=", "")
	var names []string
	for {
		typ, obj, ok := w.next()
		if !ok {
			t.Fatalf("watch ended after %v", names)
		}
		var cm corev1.ConfigMap
		if err := json.Unmarshal(obj, &cm); err != nil {
			t.Fatal(err)
		}
		if typ == "BOOKMARK" {
			if cm.Annotations[metav1.InitialEventsAnnotationKey] != "true" || cm.ResourceVersion == "" || cm.Kind != "ConfigMap" {
				t.Errorf("bookmark %s, want the initial-events-end annotation and a resourceVersion", w.rawLast)
			}
			break
		}
		if typ != "ADDED" {
			t.Fatalf("event %s before the bookmark", typ)
		}
		names = append(names, cm.Name)
	}
	if len(names) != 2 {
		t.Errorf("initial events for %v, want a and b", names)
	}
}

// TestWatchHammer releases many watchers of one resource at once while objects are written; each
// must see every event, in order, with the same bytes as every other watcher (the encoding is
// shared). Run it with -race.
func TestWatchHammer(t *testing.T) {
	const watchers, writes = 16, 20
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	var list corev1.ConfigMapList
	e.mustDo(t, "GET", cmPath, "", http.StatusOK).into(t, &list)

	streams := make([]*watchStream, watchers)
	for i := range streams {
		accept := ""
		if i%2 == 1 {
			accept = kubectlGetAccept
		}
		streams[i] = startWatch(t, srv, cmPath+"?watch=true&resourceVersion="+list.ResourceVersion, accept)
	}
	go func() {
		for i := 0; i < writes; i++ {
			e.do(t, req{method: "POST", path: cmPath, body: `{"metadata":{"name":"h` + string(rune('a'+i)) + `"}}`})
		}
	}()
	got := make([][]string, watchers)
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(got[i]) < writes {
				if !s.lines.Scan() {
					return
				}
				got[i] = append(got[i], s.lines.Text())
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) != writes {
			t.Fatalf("watcher %d got %d events, want %d", i, len(got[i]), writes)
		}
		// Watchers with the same Accept header got the same bytes.
		if same := got[i%2]; strings.Join(got[i], "\n") != strings.Join(same, "\n") {
			t.Errorf("watcher %d's events differ from watcher %d's", i, i%2)
		}
	}
	for j, line := range got[0] {
		if !strings.Contains(line, `"name":"h`+string(rune('a'+j))+`"`) {
			t.Errorf("event %d out of order: %s", j, line)
		}
	}
}
