package generic

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/storage"
)

// List returns the objects in namespace ("" for all) that opts select, as the resource's list
// type.
func (s *Store) List(ctx context.Context, namespace string, opts *metav1.ListOptions) (runtime.Object, error) {
	list, _, err := s.list(ctx, namespace, opts, false)
	return list, err
}

// ListWithEvents is List for a caller that writes the items from their shared encodings: when
// the storage serves the list from memory (the watch cache, a storage.EventLister), the list
// carries its kind and metadata and no items, and events holds the selected objects in order
// (their objects carry their kind, which a typed list's items do not). Otherwise events is nil
// and the list is List's.
func (s *Store) ListWithEvents(ctx context.Context, namespace string, opts *metav1.ListOptions) (runtime.Object, []*storage.Event, error) {
	return s.list(ctx, namespace, opts, true)
}

func (s *Store) list(ctx context.Context, namespace string, opts *metav1.ListOptions, withEvents bool) (runtime.Object, []*storage.Event, error) {
	if opts == nil {
		opts = &metav1.ListOptions{}
	}
	if errs := validateListOptions(opts, false); len(errs) > 0 {
		return nil, nil, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", errs)
	}
	key, sopts, err := s.storageListOptions(namespace, opts)
	if err != nil {
		return nil, nil, err
	}
	var list runtime.Object
	var events []*storage.Event
	if el, ok := s.storage.(storage.EventLister); ok && withEvents {
		list, events, err = el.GetListWithEvents(ctx, key, sopts)
	} else {
		list, err = s.storage.GetList(ctx, key, sopts)
	}
	if err != nil {
		return nil, nil, s.statusError(err, "", opts.ResourceVersion)
	}
	if err := s.untypeItems(list); err != nil {
		return nil, nil, err
	}
	return s.typed(list), events, nil
}

// untypeItems clears apiVersion and kind on the items of a typed list, as kube's typed lists
// carry none (only the list says its kind). The items are the list's own copies of the stored
// objects (storage fills a new Items slice on every list, copying each struct), so a cached
// object is never written to. Custom resources' items keep theirs, as kube's do.
func (s *Store) untypeItems(list runtime.Object) error {
	if _, ok := list.(*unstructured.UnstructuredList); ok {
		return nil
	}
	err := meta.EachListItem(list, func(item runtime.Object) error {
		if !item.GetObjectKind().GroupVersionKind().Empty() {
			item.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
		}
		return nil
	})
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("reading a %s list: %w", s.res.Kind, err))
	}
	return nil
}

// Watch streams changes to the objects in namespace ("" for all) that opts select. The watch
// ends after opts.TimeoutSeconds, when ctx ends, or when the caller stops it.
func (s *Store) Watch(ctx context.Context, namespace string, opts *metav1.ListOptions) (storage.Watcher, error) {
	if opts == nil {
		opts = &metav1.ListOptions{}
	}
	if errs := validateListOptions(opts, true); len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", errs)
	}
	key, sopts, err := s.storageListOptions(namespace, opts)
	if err != nil {
		return nil, err
	}
	sopts.ProgressNotify = opts.AllowWatchBookmarks
	sopts.SendInitialEvents = opts.SendInitialEvents
	// A watch's own context bounds it: timeoutSeconds ends it, Stop ends it.
	var cancel context.CancelFunc
	if opts.TimeoutSeconds != nil && *opts.TimeoutSeconds > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*opts.TimeoutSeconds)*time.Second)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	w, err := s.storage.Watch(ctx, key, sopts)
	if err != nil {
		cancel()
		return nil, s.statusError(err, "", opts.ResourceVersion)
	}
	return &boundWatcher{Watcher: w, cancel: cancel}, nil
}

// boundWatcher releases the watch's context when the watch is stopped.
type boundWatcher struct {
	storage.Watcher
	cancel context.CancelFunc
}

func (w *boundWatcher) Stop() {
	w.Watcher.Stop()
	w.cancel()
}

// storageListOptions turns a client's list options into the storage's: the key to read, the
// selectors (checked against the fields the resource offers) and the paging.
func (s *Store) storageListOptions(namespace string, opts *metav1.ListOptions) (string, storage.ListOptions, error) {
	key, err := s.listKey(namespace)
	if err != nil {
		return "", storage.ListOptions{}, err
	}
	if err := checkResourceVersion(opts.ResourceVersion); err != nil {
		return "", storage.ListOptions{}, err
	}
	pred, err := s.predicate(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return "", storage.ListOptions{}, err
	}
	if opts.Limit < 0 {
		return "", storage.ListOptions{}, apierrors.NewBadRequest(fmt.Sprintf("limit must be a non-negative integer, got %d", opts.Limit))
	}
	pred.Limit = opts.Limit
	pred.Continue = opts.Continue
	return key, storage.ListOptions{
		ResourceVersion:      opts.ResourceVersion,
		ResourceVersionMatch: string(opts.ResourceVersionMatch),
		Predicate:            pred,
		Recursive:            true,
	}, nil
}

// predicate parses the selectors. A field selector may only name the fields the resource's
// SelectableFields offers, as kube's field label conversion insists.
func (s *Store) predicate(labelSelector, fieldSelector string) (storage.Predicate, error) {
	pred := storage.Predicate{GetAttrs: s.attrs}
	if labelSelector != "" {
		sel, err := labels.Parse(labelSelector)
		if err != nil {
			return pred, apierrors.NewBadRequest(err.Error())
		}
		pred.Label = sel
	}
	if fieldSelector != "" {
		sel, err := fields.ParseSelector(fieldSelector)
		if err != nil {
			return pred, apierrors.NewBadRequest(err.Error())
		}
		supported := s.selectableFields(s.res.New())
		for _, r := range sel.Requirements() {
			if _, ok := supported[r.Field]; !ok {
				return pred, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", r.Field))
			}
		}
		pred.Field = sel
	}
	return pred, nil
}

// attrs are an object's labels and selectable fields, for predicates.
func (s *Store) attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	a, err := accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	return labels.Set(a.GetLabels()), s.selectableFields(obj), nil
}

// selectableFields are the fields a selector may name for obj: the resource's own, and always
// metadata.name (plus metadata.namespace when namespaced).
func (s *Store) selectableFields(obj runtime.Object) fields.Set {
	var set fields.Set
	if s.res.SelectableFields != nil {
		set = s.res.SelectableFields(obj)
	}
	if set == nil {
		set = fields.Set{}
	}
	if a, err := accessor(obj); err == nil {
		if _, ok := set["metadata.name"]; !ok {
			set["metadata.name"] = a.GetName()
		}
		if _, ok := set["metadata.namespace"]; !ok && s.res.Namespaced {
			set["metadata.namespace"] = a.GetNamespace()
		}
	}
	return set
}

// checkResourceVersion refuses a resourceVersion that is not a revision number, with kube's
// message.
func checkResourceVersion(rv string) error {
	if rv == "" {
		return nil
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
		return apierrors.NewBadRequest(field.Invalid(field.NewPath("resourceVersion"), rv, err.Error()).Error())
	}
	return nil
}

// validateListOptions is kube's ValidateListOptions: the combinations of resourceVersion,
// resourceVersionMatch, continue and sendInitialEvents a list or a watch accepts.
func validateListOptions(opts *metav1.ListOptions, watch bool) field.ErrorList {
	var errs field.ErrorList
	matchPath := field.NewPath("resourceVersionMatch")
	match := opts.ResourceVersionMatch
	if watch {
		if opts.SendInitialEvents != nil && match != metav1.ResourceVersionMatchNotOlderThan {
			errs = append(errs, field.Forbidden(matchPath, fmt.Sprintf("sendInitialEvents requires setting resourceVersionMatch to %s", metav1.ResourceVersionMatchNotOlderThan)))
		}
		if match != "" {
			if opts.SendInitialEvents == nil {
				errs = append(errs, field.Forbidden(matchPath, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
			}
			if match != metav1.ResourceVersionMatchNotOlderThan {
				errs = append(errs, field.NotSupported(matchPath, match, []string{string(metav1.ResourceVersionMatchNotOlderThan)}))
			}
			if opts.Continue != "" {
				errs = append(errs, field.Forbidden(matchPath, "resourceVersionMatch is forbidden when continue is provided"))
			}
		}
		return errs
	}
	if match != "" {
		if opts.ResourceVersion == "" {
			errs = append(errs, field.Forbidden(matchPath, "resourceVersionMatch is forbidden unless resourceVersion is provided"))
		}
		if opts.Continue != "" {
			errs = append(errs, field.Forbidden(matchPath, "resourceVersionMatch is forbidden when continue is provided"))
		}
		if match != metav1.ResourceVersionMatchExact && match != metav1.ResourceVersionMatchNotOlderThan {
			errs = append(errs, field.NotSupported(matchPath, match, []string{string(metav1.ResourceVersionMatchExact), string(metav1.ResourceVersionMatchNotOlderThan), ""}))
		}
		if match == metav1.ResourceVersionMatchExact && opts.ResourceVersion == "0" {
			errs = append(errs, field.Forbidden(matchPath, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
		}
	}
	if opts.SendInitialEvents != nil {
		errs = append(errs, field.Forbidden(field.NewPath("sendInitialEvents"), "sendInitialEvents is forbidden for list"))
	}
	return errs
}
