// Answers: the allowed answer is static; a denial or an error is written after the scratch
// region. A denial's message is the Go policy's, byte for byte: each floating container is
// `container %q image %q` (Go's strconv quoting), and the message is then escaped for JSON.

import { ensure, pack } from "./memory";

// The allowed answer, copied into a static buffer once, at instantiation, so that an allowed
// call writes nothing. It is spelt as the SDK's Go guests spell it, which the host reads without
// encoding/json (host/pluginapi's plainAdmissionAnswer); the host fills in the empty uid.
const allowedText = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":true}}';
const allowedPtr = memory.data(128);
for (let i = 0; i < allowedText.length; i++) store<u8>(allowedPtr + <usize>i, <u8>allowedText.charCodeAt(i));

// allowed is the packed allowed answer. The host fills in response.uid.
export function allowed(): u64 {
  return pack(allowedPtr, <usize>allowedText.length);
}

let outStart: usize = 0;
let out: usize = 0;

export function begin(at: usize): void {
  outStart = at;
  out = at;
}

export function finish(): u64 {
  return pack(outStart, out - outStart);
}

export function put(lit: string): void {
  const n = <usize>lit.length;
  if (!ensure(out + n)) unreachable();
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u16>(s + (i << 1)));
  out += n;
}

// putRaw copies bytes that are already valid inside a JSON string.
export function putRaw(p: usize, n: usize): void {
  if (!ensure(out + n)) unreachable();
  memory.copy(out, p, n);
  out += n;
}

// error answers the error envelope {"error": message}; message must need no JSON escaping.
export function error(message: string): u64 {
  put('{"error":"');
  put(message);
  put('"}');
  return finish();
}

export function beginDenial(at: usize): void {
  begin(at);
  put('{"response":{"allowed":false,"status":{"status":"Failure","message":"');
  put("images must be pinned to a tag other than latest or to a digest: ");
}

export function finishDenial(): u64 {
  put('","reason":"Forbidden","code":403}}}');
  return finish();
}

// putQuoted writes Go's strconv.Quote of the UTF-8 bytes at p, escaped for a JSON string: a byte
// of Go's quoting takes at most 5 bytes here (an invalid byte is \x.. in Go, \\x.. in JSON).
export function putQuoted(p: usize, n: usize): void {
  if (!ensure(out + 5 * n + 4)) unreachable();
  store<u8>(out++, 0x5c);
  store<u8>(out++, 0x22);
  const end = p + n;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      p++;
      if (c == 0x22) { escape(); store<u8>(out++, 0x5c); store<u8>(out++, 0x22); continue; } // \" in Go, \\\" in JSON
      if (c == 0x5c) { escape(); escape(); continue; }
      if (c >= 0x20 && c < 0x7f) { store<u8>(out++, c); continue; }
      escape();
      switch (c) {
        case 0x07: store<u8>(out++, 0x61); break; // \a
        case 0x08: store<u8>(out++, 0x62); break;
        case 0x0c: store<u8>(out++, 0x66); break;
        case 0x0a: store<u8>(out++, 0x6e); break;
        case 0x0d: store<u8>(out++, 0x72); break;
        case 0x09: store<u8>(out++, 0x74); break;
        case 0x0b: store<u8>(out++, 0x76); break;
        default: store<u8>(out++, 0x78); putHex(c, 2);
      }
      continue;
    }
    const size = runeSize(p, end);
    if (size == 0) { // invalid UTF-8: Go quotes the byte
      escape();
      store<u8>(out++, 0x78);
      putHex(c, 2);
      p++;
      continue;
    }
    const r = runeAt(p, size);
    if (printable(r)) {
      memory.copy(out, p, size);
      out += size;
    } else if (r < 0x10000) {
      escape();
      store<u8>(out++, 0x75);
      putHex(r, 4);
    } else {
      escape();
      store<u8>(out++, 0x55);
      putHex(r, 8);
    }
    p += size;
  }
  store<u8>(out++, 0x5c);
  store<u8>(out++, 0x22);
}

// escape writes Go's backslash as JSON has it.
@inline function escape(): void {
  store<u8>(out++, 0x5c);
  store<u8>(out++, 0x5c);
}

function putHex(v: u32, digits: i32): void {
  for (let i = digits - 1; i >= 0; i--) {
    const d = (v >> (<u32>i << 2)) & 0xf;
    store<u8>(out++, d < 10 ? 0x30 + d : 0x57 + d);
  }
}

// runeSize is the length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if invalid.
function runeSize(p: usize, end: usize): usize {
  const c = <u32>load<u8>(p);
  let size: usize, lo: u32 = 0x80, hi: u32 = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) size = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    size = 3;
    if (c == 0xe0) lo = 0xa0;
    else if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    size = 4;
    if (c == 0xf0) lo = 0x90;
    else if (c == 0xf4) hi = 0x8f;
  } else return 0;
  if (p + size > end) return 0;
  const c1 = <u32>load<u8>(p + 1);
  if (c1 < lo || c1 > hi) return 0;
  for (let i: usize = 2; i < size; i++) {
    const ci = <u32>load<u8>(p + i);
    if (ci < 0x80 || ci > 0xbf) return 0;
  }
  return size;
}

function runeAt(p: usize, size: usize): u32 {
  const c = <u32>load<u8>(p);
  let r = size == 2 ? c & 0x1f : size == 3 ? c & 0x0f : c & 0x07;
  for (let i: usize = 1; i < size; i++) r = (r << 6) | (<u32>load<u8>(p + i) & 0x3f);
  return r;
}

// printable approximates Go's strconv.IsPrint for runes past ASCII: the controls, spaces other
// than ASCII's, format characters and private use that Go quotes. Go's full tables (unassigned
// code points) are not carried; an image reference has no such runes.
function printable(r: u32): bool {
  if (r <= 0xa0 || r == 0xad || r == 0x1680 || r == 0x180e || r == 0x3000 || r == 0xfeff) return false;
  if (r >= 0x2000 && r <= 0x200f) return false;
  if (r >= 0x2028 && r <= 0x202f) return false;
  if (r >= 0x205f && r <= 0x206f) return false;
  if (r >= 0xe000 && r <= 0xf8ff) return false;
  if (r >= 0xfff9 && r <= 0xfffb) return false;
  if (r == 0xfffe || r == 0xffff) return false;
  return true;
}
