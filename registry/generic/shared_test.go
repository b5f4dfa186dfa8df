package generic

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// sharedEventStores serves core and events.k8s.io events as the server does: the latter on the
// former's storage. It returns the core and the events.k8s.io stores, namespace "ns" created.
func sharedEventStores(t *testing.T) (core, events *Store) {
	t.Helper()
	prefix := fmt.Sprintf("/test-%d", prefixCounter.Add(1))
	reg := registry.New()
	deps := Deps{Namespace: NamespaceGetter(reg)}
	owners := map[schema.GroupResource]storage.Interface{}
	var sharing []*registry.Resource
	for _, res := range builtin.Resources() {
		if res.SharedStorage != nil {
			sharing = append(sharing, res)
			continue
		}
		s := etcd3.New(etcdClient, prefix, Codec(res))
		owners[schema.GroupResource{Group: res.Group, Resource: res.Plural}] = s
		reg.Add(NewEntry(res, s, deps))
	}
	for _, res := range sharing {
		reg.Add(NewEntry(res, SharedStorage(res, owners[res.SharedStorage.Resource], "/events/"), deps))
	}
	env := &testEnv{reg: reg}
	env.createNamespace(t, "ns")
	return env.store(t, "", "events"), env.store(t, eventsv1.GroupName, "events")
}

func TestSharedStorageEventsBothWays(t *testing.T) {
	ctx := context.Background()
	core, events := sharedEventStores(t)

	first := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	coreEvent := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "from-core"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "a"},
		Reason:         "Pulled", Message: "pulled the image", Type: corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: first, LastTimestamp: first, Count: 3,
	}
	mustCreate(t, core, "ns", coreEvent)

	obj, err := events.Get(ctx, "ns", "from-core", &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through events.k8s.io: %v", err)
	}
	got := obj.(*eventsv1.Event)
	if got.Note != "pulled the image" || got.Regarding.Name != "a" || got.DeprecatedCount != 3 ||
		got.DeprecatedSource.Component != "kubelet" || got.DeprecatedSource.Host != "node-1" ||
		!got.DeprecatedFirstTimestamp.Equal(&first) || got.Reason != "Pulled" {
		t.Errorf("core event read through events.k8s.io: %+v", got)
	}
	if got.APIVersion != "events.k8s.io/v1" || got.Kind != "Event" {
		t.Errorf("apiVersion/kind %q/%q, want events.k8s.io/v1 Event", got.APIVersion, got.Kind)
	}

	v1Event := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "from-events"},
		EventTime:           metav1.NewMicroTime(first.Time),
		ReportingController: "example.com/controller", ReportingInstance: "controller-1",
		Action: "Scale", Reason: "Scaled", Type: corev1.EventTypeWarning, Note: "scaled up",
		Regarding: corev1.ObjectReference{Kind: "Deployment", Namespace: "ns", Name: "b"},
		Related:   &corev1.ObjectReference{Kind: "ReplicaSet", Namespace: "ns", Name: "b-1"},
		Series:    &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(first.Time)},
	}
	mustCreate(t, events, "ns", v1Event)
	obj, err = core.Get(ctx, "ns", "from-events", &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through core: %v", err)
	}
	gotCore := obj.(*corev1.Event)
	if gotCore.Message != "scaled up" || gotCore.InvolvedObject.Name != "b" || gotCore.ReportingController != "example.com/controller" ||
		gotCore.ReportingInstance != "controller-1" || gotCore.Action != "Scale" || gotCore.Related == nil || gotCore.Related.Name != "b-1" ||
		gotCore.Series == nil || gotCore.Series.Count != 2 || gotCore.EventTime.IsZero() {
		t.Errorf("events.k8s.io event read through core: %+v", gotCore)
	}

	// Both APIs list both events, and each judges field selectors in its own terms.
	for _, tc := range []struct {
		name     string
		store    *Store
		selector string
		want     []string
	}{
		{"events.k8s.io, all", events, "", []string{"from-core", "from-events"}},
		{"core, all", core, "", []string{"from-core", "from-events"}},
		{"events.k8s.io by regarding", events, "regarding.name=a", []string{"from-core"}},
		{"events.k8s.io by reportingController", events, "reportingController=example.com/controller", []string{"from-events"}},
		{"core by involvedObject", core, "involvedObject.name=b", []string{"from-events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := tc.store.List(ctx, "ns", &metav1.ListOptions{FieldSelector: tc.selector})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			var names []string
			switch l := list.(type) {
			case *eventsv1.EventList:
				for _, e := range l.Items {
					names = append(names, e.Name)
				}
			case *corev1.EventList:
				for _, e := range l.Items {
					names = append(names, e.Name)
				}
			default:
				t.Fatalf("list type %T", list)
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", names, tc.want)
			}
		})
	}

	// An update through events.k8s.io is the core event's update; a delete deletes both.
	_, _, err = events.Update(ctx, "ns", "from-events", "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		e := cur.DeepCopyObject().(*eventsv1.Event)
		e.Note = "scaled up again"
		return e, nil
	}, registry.Admission{}, false, nil)
	if err != nil {
		t.Fatalf("update through events.k8s.io: %v", err)
	}
	if obj, err := core.Get(ctx, "ns", "from-events", &metav1.GetOptions{}); err != nil || obj.(*corev1.Event).Message != "scaled up again" {
		t.Errorf("core event after the update: %v %v", obj, err)
	}
	if _, _, err := events.Delete(ctx, "ns", "from-core", registry.Admission{}, nil); err != nil {
		t.Fatalf("delete through events.k8s.io: %v", err)
	}
	if _, err := core.Get(ctx, "ns", "from-core", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("core get after delete: %v, want NotFound", err)
	}

	// A field selector only the other API knows is refused.
	if _, err := events.List(ctx, "ns", &metav1.ListOptions{FieldSelector: "involvedObject.name=a"}); err == nil {
		t.Errorf("events.k8s.io accepted a core field selector")
	}
}

func TestSharedStorageEventsWatch(t *testing.T) {
	ctx := context.Background()
	core, events := sharedEventStores(t)
	v1Watch, err := events.Watch(ctx, "ns", &metav1.ListOptions{FieldSelector: "regarding.name=a"})
	if err != nil {
		t.Fatalf("watch events.k8s.io: %v", err)
	}
	defer v1Watch.Stop()
	coreWatch, err := core.Watch(ctx, "ns", &metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch core: %v", err)
	}
	defer coreWatch.Stop()

	// Not selected by the events.k8s.io watch: it must see only the second.
	mustCreate(t, core, "ns", &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "other"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "z"}, Message: "other"})
	mustCreate(t, core, "ns", &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "through-core"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "a"}, Message: "m1"})
	mustCreate(t, events, "ns", &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "through-events"},
		EventTime:           metav1.NewMicroTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		ReportingController: "c", ReportingInstance: "i", Action: "A", Reason: "R", Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "a"}, Note: "m2"})

	for _, want := range []string{"through-core", "through-events"} {
		ev := <-v1Watch.ResultChan()
		e, ok := ev.Object.(*eventsv1.Event)
		if ev.Type != watch.Added || !ok || e.Name != want {
			t.Fatalf("events.k8s.io watch: got %s %T %v, want ADDED %s", ev.Type, ev.Object, ev.Object, want)
		}
		if want == "through-core" && e.Note != "m1" {
			t.Errorf("note %q, want m1", e.Note)
		}
	}
	for _, want := range []string{"other", "through-core", "through-events"} {
		ev := <-coreWatch.ResultChan()
		e, ok := ev.Object.(*corev1.Event)
		if ev.Type != watch.Added || !ok || e.Name != want {
			t.Fatalf("core watch: got %s %T, want ADDED %s", ev.Type, ev.Object, want)
		}
		if want == "through-events" && e.Message != "m2" {
			t.Errorf("message %q, want m2", e.Message)
		}
	}
}
