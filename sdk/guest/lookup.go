package guest

import (
	"encoding/json"
	"strconv"
)

// Lookup returns the raw JSON value found by following path from the top of doc: each element
// is an object member name, or a decimal index into an array. It scans doc without building
// anything, so a policy that needs three fields of a 4 KB review pays for reading, not for
// decoding. ok is false when the path does not exist or doc is not well-formed along the way.
// Should an object repeat a member name (the host's encoder never does), the first one wins.
//
//	image, ok := guest.Lookup(review, "request", "object", "spec", "containers", "0", "image")
func Lookup(doc []byte, path ...string) (value []byte, ok bool) {
	rest, ok := Seek(doc, path...)
	if !ok {
		return nil, false
	}
	end, ok := skipValue(rest, 0)
	if !ok {
		return nil, false
	}
	return rest[:end], true
}

// Seek returns doc from the start of the value at path to the end of doc, without finding where
// the value ends: cheaper than Lookup for an object or array that is then read with Members or
// Elements, which stop at its end. ok is false when the path does not exist.
func Seek(doc []byte, path ...string) (rest []byte, ok bool) {
	i := skipSpace(doc, 0)
	for _, key := range path {
		if i >= len(doc) {
			return nil, false
		}
		switch doc[i] {
		case '{':
			i, ok = member(doc, i, key)
		case '[':
			n, err := strconv.Atoi(key)
			if err != nil || n < 0 {
				return nil, false
			}
			i, ok = element(doc, i, n)
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	if i >= len(doc) {
		return nil, false
	}
	return doc[i:], true
}

// Elements calls fn with each element of a raw JSON array, in order, until fn returns false.
// It reports whether array is an array.
func Elements(array []byte, fn func(elem []byte) bool) bool {
	i := skipSpace(array, 0)
	if i >= len(array) || array[i] != '[' {
		return false
	}
	i, more := firstItem(array, i, ']')
	if !more {
		return true
	}
	for i < len(array) {
		end, ok := skipValue(array, i)
		if !ok {
			return false
		}
		if !fn(array[i:end]) {
			return true
		}
		next, more, closed := nextItem(array, end, ']')
		if !more {
			return closed
		}
		i = next
	}
	return false
}

// Members calls fn with each member of a raw JSON object, in order, until fn returns false: its
// name (still quoted, as in the document; compare with MemberIs) and its raw value. Reading
// several members of one object with Members takes one pass over it, where a Lookup per member
// takes one pass each (and a whole one for a member that is absent). It reports whether object
// is a well-formed object as far as it was read.
func Members(object []byte, fn func(name, value []byte) bool) bool {
	i := skipSpace(object, 0)
	if i >= len(object) || object[i] != '{' {
		return false
	}
	i, more := firstItem(object, i, '}')
	if !more {
		return true
	}
	for i < len(object) {
		name, value, ok := memberName(object, i)
		if !ok {
			return false
		}
		end, ok := skipValue(object, value)
		if !ok {
			return false
		}
		if !fn(name, object[value:end]) {
			return true
		}
		next, more, closed := nextItem(object, end, '}')
		if !more {
			return closed
		}
		i = next
	}
	return false
}

// MemberIs reports whether a quoted member name, as Members gives it, is name.
func MemberIs(quoted []byte, name string) bool { return keyEquals(quoted, name) }

// Unquote returns the string a raw JSON string value holds.
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	simple := true
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			simple = false
			break
		}
	}
	if simple {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// member finds key in the object starting at doc[i] and returns the start of its value.
func member(doc []byte, i int, key string) (int, bool) {
	i, more := firstItem(doc, i, '}')
	for more && i < len(doc) {
		name, value, ok := memberName(doc, i)
		if !ok {
			return 0, false
		}
		if keyEquals(name, key) {
			return value, true
		}
		end, ok := skipValue(doc, value)
		if !ok {
			return 0, false
		}
		i, more, _ = nextItem(doc, end, '}')
	}
	return 0, false
}

// element finds the n-th element of the array starting at doc[i].
func element(doc []byte, i, n int) (int, bool) {
	i, more := firstItem(doc, i, ']')
	for k := 0; more && i < len(doc); k++ {
		if k == n {
			return i, true
		}
		end, ok := skipValue(doc, i)
		if !ok {
			return 0, false
		}
		i, more, _ = nextItem(doc, end, ']')
	}
	return 0, false
}

// firstItem returns where the first member or element of the object or array opening at doc[i]
// starts, or false when close follows at once (it is empty).
func firstItem(doc []byte, i int, close byte) (int, bool) {
	i = skipSpace(doc, i+1)
	return i, i >= len(doc) || doc[i] != close
}

// nextItem reads what follows a member or element whose value ends at doc[i], in an object or
// array that close ends: a comma and then where the next one starts (more), or close (closed).
// Anything else, or the end of doc, is neither: the document is not well-formed.
func nextItem(doc []byte, i int, close byte) (next int, more, closed bool) {
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return 0, false, false
	}
	switch doc[i] {
	case ',':
		return skipSpace(doc, i+1), true, false
	case close:
		return 0, false, true
	}
	return 0, false, false
}

// memberName reads the name and the colon of the object member starting at doc[i]: it returns
// the name, still quoted, and where the member's value starts.
func memberName(doc []byte, i int) (name []byte, value int, ok bool) {
	if i >= len(doc) || doc[i] != '"' {
		return nil, 0, false
	}
	end, ok := skipString(doc, i)
	if !ok {
		return nil, 0, false
	}
	name = doc[i:end]
	i = skipSpace(doc, end)
	if i >= len(doc) || doc[i] != ':' {
		return nil, 0, false
	}
	return name, skipSpace(doc, i+1), true
}

func keyEquals(quoted []byte, key string) bool {
	inner := quoted[1 : len(quoted)-1]
	if len(inner) == len(key) && string(inner) == key {
		return true
	}
	for _, c := range inner {
		if c == '\\' {
			s, ok := Unquote(quoted)
			return ok && s == key
		}
	}
	return false
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at doc[i] (a '"').
func skipString(doc []byte, i int) (int, bool) {
	for i++; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// special marks the bytes skipValue must look at inside an object or array. Scanning one byte
// at a time in a single loop, with no function call per string, is what is fast in a Wasm guest,
// where a call costs as much as reading a dozen bytes.
var special = [256]bool{'"': true, '\\': true, '{': true, '[': true, '}': true, ']': true}

// skipValue returns the index after the value starting at doc[i].
func skipValue(doc []byte, i int) (int, bool) {
	if i >= len(doc) {
		return 0, false
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		depth := 0
		inString := false
		for ; i < len(doc); i++ {
			c := doc[i]
			if !special[c] {
				continue
			}
			if inString {
				switch c {
				case '\\':
					i++
				case '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	default: // number, true, false, null
		start := i
		for i < len(doc) {
			switch c := doc[i]; {
			case c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r':
				return i, i > start
			}
			i++
		}
		return i, i > start
	}
}
