package builtin

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// eventsSharedStorage serves events.k8s.io/v1 events from the core/v1 events' storage, as kube
// does: an event written through either API is read and watched through both.
var eventsSharedStorage = &registry.SharedStorage{
	Resource:    schema.GroupResource{Resource: "events"},
	ToStorage:   func(obj runtime.Object) (runtime.Object, error) { return eventToCore(obj) },
	FromStorage: func(obj runtime.Object) (runtime.Object, error) { return eventFromCore(obj) },
}

// eventToCore is kube's Convert_v1_Event_To_core_Event (pkg/apis/events/v1/conversion.go): note
// is the message, regarding the involved object, the deprecated fields the core ones.
func eventToCore(obj runtime.Object) (*corev1.Event, error) {
	in, ok := obj.(*eventsv1.Event)
	if !ok {
		return nil, fmt.Errorf("converting to a core event: unexpected type %T", obj)
	}
	out := &corev1.Event{
		ObjectMeta:          *in.ObjectMeta.DeepCopy(),
		InvolvedObject:      in.Regarding,
		Reason:              in.Reason,
		Message:             in.Note,
		Source:              in.DeprecatedSource,
		FirstTimestamp:      in.DeprecatedFirstTimestamp,
		LastTimestamp:       in.DeprecatedLastTimestamp,
		Count:               in.DeprecatedCount,
		Type:                in.Type,
		EventTime:           in.EventTime,
		Action:              in.Action,
		ReportingController: in.ReportingController,
		ReportingInstance:   in.ReportingInstance,
	}
	// The kind is set only where the input had one, so that list items stay without it.
	if !in.GroupVersionKind().Empty() {
		out.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Event"))
	}
	if in.Series != nil {
		out.Series = &corev1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
	if in.Related != nil {
		r := *in.Related
		out.Related = &r
	}
	return out, nil
}

// eventFromCore is kube's Convert_core_Event_To_v1_Event, the inverse of eventToCore.
func eventFromCore(obj runtime.Object) (*eventsv1.Event, error) {
	in, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("converting to an events.k8s.io event: unexpected type %T", obj)
	}
	out := &eventsv1.Event{
		ObjectMeta:               *in.ObjectMeta.DeepCopy(),
		EventTime:                in.EventTime,
		ReportingController:      in.ReportingController,
		ReportingInstance:        in.ReportingInstance,
		Action:                   in.Action,
		Reason:                   in.Reason,
		Regarding:                in.InvolvedObject,
		Note:                     in.Message,
		Type:                     in.Type,
		DeprecatedSource:         in.Source,
		DeprecatedFirstTimestamp: in.FirstTimestamp,
		DeprecatedLastTimestamp:  in.LastTimestamp,
		DeprecatedCount:          in.Count,
	}
	// The kind is set only where the input had one, so that list items stay without it.
	if !in.GroupVersionKind().Empty() {
		out.SetGroupVersionKind(eventsv1.SchemeGroupVersion.WithKind("Event"))
	}
	if in.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
	if in.Related != nil {
		r := *in.Related
		out.Related = &r
	}
	return out, nil
}
