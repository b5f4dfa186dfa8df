package guest

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unsafe"
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

// Unquote returns the string a raw JSON string value holds, as a copy of its own.
func Unquote(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if plain(raw[1 : len(raw)-1]) {
		return string(raw[1 : len(raw)-1]), true
	}
	return unescape(raw)
}

// View returns the string a raw JSON string value holds, as Unquote does, but without copying
// it when it has no escapes: the string then shares raw's bytes. For a value read from the review
// a RawValidator or RawMutator is given, that string is valid only until the call returns; the
// guest then writes the next request over those bytes, and a string kept past the call changes
// under whoever kept it. Clone it (strings.Clone) to keep it. A string with escapes is unquoted
// into a new string, as Unquote does; reading a review's fields with View allocates nothing when
// none has escapes.
func View(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if plain(raw[1 : len(raw)-1]) {
		return unsafe.String(&raw[1], len(raw)-2), true
	}
	return unescape(raw)
}

// unescape is the slow path of Unquote and View: a string with escapes (or malformed).
func unescape(raw []byte) (string, bool) {
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

// skipSpace returns the index of the first byte at or after doc[i] that is not JSON whitespace.
// Every byte that is not is above ' ', so one comparison ends the loop in the usual case.
func skipSpace(doc []byte, i int) int {
	for i < len(doc) && doc[i] <= ' ' && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// The scanners below read eight bytes at a time (SWAR: SIMD within a register). In a Go Wasm
// guest every loop iteration and every taken branch costs a jump through the function's block
// dispatcher, and a call costs as much as reading a dozen bytes, so a 64-bit load and a few
// arithmetic operations per eight bytes are several times cheaper than a test per byte.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
	low7Bits = 0x7f7f7f7f7f7f7f7f
)

// bytesBelow marks each byte of w that is less than n (n <= 0x80) with its high bit, and no
// other: adding 0x80-n to a byte's low seven bits carries into its high bit, without reaching
// the next byte, exactly when they are n or more.
func bytesBelow(w uint64, n byte) uint64 {
	return ^((w&low7Bits + lowBits*uint64(0x80-n)) | w) & highBits
}

// bytesEqual marks each byte of w that equals c with its high bit, and no other.
func bytesEqual(w uint64, c byte) uint64 { return bytesBelow(w^(lowBits*uint64(c)), 1) }

// firstMarked returns the index of the byte holding the lowest mark.
func firstMarked(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// plain reports whether a string's contents hold no escape, quote or control character, so that
// they are the string's bytes as they stand.
func plain(inner []byte) bool {
	i := 0
	for ; i+8 <= len(inner); i += 8 {
		if stringSpecial(binary.LittleEndian.Uint64(inner[i:])) != 0 {
			return false
		}
	}
	if i == len(inner) {
		return true
	}
	if len(inner) >= 8 { // the last word again, overlapping what was read
		return stringSpecial(binary.LittleEndian.Uint64(inner[len(inner)-8:])) == 0
	}
	for ; i < len(inner); i++ {
		if c := inner[i]; c == '"' || c == '\\' || c < 0x20 {
			return false
		}
	}
	return true
}

func stringSpecial(w uint64) uint64 {
	return bytesEqual(w, '"') | bytesEqual(w, '\\') | bytesBelow(w, 0x20)
}

// skipString returns the index after the string starting at doc[i] (a '"').
func skipString(doc []byte, i int) (int, bool) {
	for i++; ; i += 2 { // over a backslash and the byte it escapes
		i = quoteOrBackslash(doc, i)
		if i >= len(doc) {
			return 0, false
		}
		if doc[i] == '"' {
			return i + 1, true
		}
	}
}

// quoteOrBackslash returns the index of the first '"' or '\\' at or after doc[i], or len(doc).
func quoteOrBackslash(doc []byte, i int) int {
	for ; i+8 <= len(doc); i += 8 {
		w := binary.LittleEndian.Uint64(doc[i:])
		if m := bytesEqual(w, '"') | bytesEqual(w, '\\'); m != 0 {
			return i + firstMarked(m)
		}
	}
	for i < len(doc) && doc[i] != '"' && doc[i] != '\\' {
		i++
	}
	return i
}

// skipValue returns the index after the value starting at doc[i].
func skipValue(doc []byte, i int) (int, bool) {
	if i >= len(doc) {
		return 0, false
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		return skipContainer(doc, i)
	default: // number, true, false, null
		return skipLiteral(doc, i)
	}
}

// skipContainer returns the index after the object or array opening at doc[i]. It counts
// brackets and skips strings, but does not check what lies between them.
//
// It reads eight bytes at a time without a branch per string or bracket, as simdjson finds
// strings: the quotes of a word, xor-ed into a running parity (a prefix xor, carried from word
// to word), mark the bytes inside strings; the brackets outside them are counted, and looked at
// one by one only in a word where the count of closing ones could bring the depth to zero. A
// word holding a backslash, and the last few bytes of doc, are read one byte at a time.
func skipContainer(doc []byte, i int) (int, bool) {
	depth := 0
	var inString uint64 // highBits inside a string, 0 outside
	for {
		end := i + 8
		if end <= len(doc) {
			w := binary.LittleEndian.Uint64(doc[i:])
			if bytesEqual(w, '\\') == 0 {
				quoted := bytesEqual(w, '"')
				quoted ^= quoted << 8
				quoted ^= quoted << 16
				quoted ^= quoted << 32
				quoted ^= inString // now marks the bytes inside strings, and their opening quotes
				inString = -(quoted >> 63) & highBits
				v := w | lowBits*0x20 // '[' becomes '{' and ']' becomes '}'; no other byte does
				opens := bytesEqual(v, '{') &^ quoted
				closes := bytesEqual(v, '}') &^ quoted
				if n := bits.OnesCount64(closes); depth > n {
					depth += bits.OnesCount64(opens) - n
					i = end
					continue
				}
				for marks := opens | closes; marks != 0; marks &= marks - 1 {
					if opens&marks&-marks != 0 {
						depth++
						continue
					}
					depth--
					if depth == 0 {
						return i + firstMarked(marks) + 1, true
					}
				}
				i = end
				continue
			}
		} else if i >= len(doc) {
			return 0, false
		} else {
			end = len(doc)
		}
		// One byte at a time, to end or (after a backslash at its end) one byte past it.
		for ; i < end; i++ {
			switch c := doc[i]; {
			case inString != 0 && c == '\\':
				i++ // the escaped byte
			case c == '"':
				inString ^= highBits
			case inString != 0:
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
	}
}

// skipLiteral returns the index after the number, true, false or null starting at doc[i].
func skipLiteral(doc []byte, i int) (int, bool) {
	start := i
	for i < len(doc) && !literalEnd[doc[i]] {
		i++
	}
	return i, i > start
}

var literalEnd = [256]bool{',': true, '}': true, ']': true, ' ': true, '\n': true, '\t': true, '\r': true}
