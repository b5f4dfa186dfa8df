package builtin

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register(gvr("", "events"), eventColumns, typedRow(coreEventRow))
	// kube prints events.k8s.io events with the core printer, after converting them.
	register(gvr(eventsv1.GroupName, "events"), eventColumns, typedRow(func(e *eventsv1.Event) []interface{} {
		return coreEventRow(coreEventOf(e))
	}))
}

// eventColumns is kubectl's event table; unlike every other table, NAME is neither first nor
// shown without -o wide.
func eventColumns() []metav1.TableColumnDefinition {
	doc := corev1.Event{}.SwaggerDoc()
	name := nameColumn
	name.Priority = 1
	return []metav1.TableColumnDefinition{
		column("Last Seen", "string", doc["lastTimestamp"], 0),
		column("Type", "string", doc["type"], 0),
		column("Reason", "string", doc["reason"], 0),
		column("Object", "string", doc["involvedObject"], 0),
		column("Subobject", "string", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"], 1),
		column("Source", "string", doc["source"], 1),
		column("Message", "string", doc["message"], 0),
		column("First Seen", "string", doc["firstTimestamp"], 1),
		column("Count", "string", doc["count"], 1),
		name,
	}
}

func coreEventRow(e *corev1.Event) []interface{} {
	first := age(e.FirstTimestamp)
	if e.FirstTimestamp.IsZero() {
		first = microAge(e.EventTime)
	}
	last := age(e.LastTimestamp)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil {
		last = microAge(e.Series.LastObservedTime)
		count = e.Series.Count
	} else if count == 0 {
		// Events of the events.k8s.io API are singletons without a count.
		count = 1
	}
	target := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		target = fmt.Sprintf("%s/%s", target, e.InvolvedObject.Name)
	}
	source := eventSource(e.ReportingController, e.ReportingInstance)
	if e.Source.Component != "" {
		source = eventSource(e.Source.Component, e.Source.Host)
	}
	return []interface{}{
		last,
		e.Type,
		e.Reason,
		target,
		e.InvolvedObject.FieldPath,
		source,
		strings.TrimSpace(e.Message),
		first,
		int64(count),
		e.Name,
	}
}

func eventSource(component, instance string) string {
	if instance == "" {
		return component
	}
	return component + ", " + instance
}

func microAge(t metav1.MicroTime) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return age(metav1.NewTime(t.Time))
}

// coreEventOf maps an events.k8s.io event onto the core fields the printer reads.
func coreEventOf(e *eventsv1.Event) *corev1.Event {
	out := &corev1.Event{
		ObjectMeta:          e.ObjectMeta,
		InvolvedObject:      e.Regarding,
		Reason:              e.Reason,
		Message:             e.Note,
		Type:                e.Type,
		FirstTimestamp:      e.DeprecatedFirstTimestamp,
		LastTimestamp:       e.DeprecatedLastTimestamp,
		Count:               e.DeprecatedCount,
		EventTime:           e.EventTime,
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
		Action:              e.Action,
		Related:             e.Related,
		Source:              e.DeprecatedSource,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}
