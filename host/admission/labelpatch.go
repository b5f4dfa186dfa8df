package admission

import (
	"encoding/json"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// labelPatchOp is one operation of a JSON patch as applyLabelPatch reads it.
type labelPatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// applyLabelPatch applies a JSON patch made only of "add" operations on the object's labels (a
// label, /metadata/labels/<key>, or the whole map, /metadata/labels), the commonest mutation, to
// the typed object itself: a copy with the labels set. The generic way decodes the object's JSON,
// applies the patch, compares the result with the original (both decoded again) and decodes the
// result into a new typed object, which cost three Wasm plugins' creates more than the plugins'
// own host side. ok is false for any other patch, or any case where the generic way could
// answer differently (an added label whose map the JSON lacks, which is an error there; an
// unstructured object); then the caller applies the patch the generic way. changed is false when
// the patch leaves the labels as they are.
func applyLabelPatch(obj runtime.Object, patch []byte) (out runtime.Object, changed, ok bool) {
	if _, unstructured := obj.(runtime.Unstructured); unstructured {
		return nil, false, false
	}
	var ops []labelPatchOp
	if err := json.Unmarshal(patch, &ops); err != nil || len(ops) == 0 {
		return nil, false, false
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, false, false
	}
	orig := acc.GetLabels()
	// The labels are in the object's JSON when the map has entries (it is omitted when empty);
	// an added map or label puts them there.
	labels, present := orig, len(orig) > 0
	for _, op := range ops {
		if op.Op != "add" {
			return nil, false, false
		}
		switch key, isLabel := strings.CutPrefix(op.Path, "/metadata/labels/"); {
		case op.Path == "/metadata/labels":
			var all map[string]string
			if err := json.Unmarshal(op.Value, &all); err != nil || all == nil {
				return nil, false, false
			}
			labels, present = all, true
		case isLabel && key != "" && !strings.ContainsAny(key, "~/"):
			var value string
			// The JSON of an empty map omits it, so there is no parent to add to: an error in
			// the generic way, left to it.
			if !present || !isJSONString(op.Value) || json.Unmarshal(op.Value, &value) != nil {
				return nil, false, false
			}
			if v, has := labels[key]; has && v == value {
				continue
			}
			labels = maps.Clone(labels)
			labels[key] = value
		default:
			return nil, false, false
		}
	}
	if present == (len(orig) > 0) && maps.Equal(labels, orig) {
		return obj, false, true
	}
	out = obj.DeepCopyObject()
	outAcc, err := meta.Accessor(out)
	if err != nil {
		return nil, false, false
	}
	outAcc.SetLabels(labels)
	return out, true, true
}

func isJSONString(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return len(s) >= 2 && s[0] == '"'
}
