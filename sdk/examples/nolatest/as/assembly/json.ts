// A JSON reader over raw linear memory that never allocates: it skips values, finds members and
// decodes strings into a buffer the caller names. Input comes from the host, which sends valid
// JSON; malformed input traps, which fails the call (abi/SPEC.md 3.4).

// setInput writes a 0 byte after the document (kapi_alloc leaves room after every request). No
// valid JSON holds one, so the loops below stop at it without comparing each position with the
// end, and a value that runs into it traps.
export function setInput(ptr: usize, len: usize): void {
  store<u8>(ptr + len, 0);
}

// at is the byte at p; 0 at the end of the input.
@inline export function at(p: usize): u32 {
  return <u32>load<u8>(p);
}

export function ws(p: usize): usize {
  let c = at(p);
  while (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) c = at(++p);
  return p;
}

// firstEscape is where the string skipString skipped last has its first backslash (0: none).
let firstEscape: usize = 0;

const ones: u64 = 0x0101010101010101;
const highs: u64 = 0x8080808080808080;

// skipString returns the position after the string that opens at p. It looks at eight bytes at a
// time for a quote, a backslash or a control byte (the 0 at the end among them): in x - ones &
// ~x & highs the lowest set bit marks the first zero byte of x exactly.
function skipString(p: usize): usize {
  firstEscape = 0;
  p++;
  while (true) {
    const w = load<u64>(p);
    const quote = w ^ 0x2222222222222222;
    const slash = w ^ 0x5c5c5c5c5c5c5c5c;
    const hit = ((quote - ones) & ~quote | (slash - ones) & ~slash | (w - 0x20 * ones) & ~w) & highs;
    if (hit == 0) { p += 8; continue; }
    p += <usize>(ctz(hit) >> 3);
    const c = load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c == 0x5c) {
      if (load<u8>(p + 1) == 0) unreachable();
      if (firstEscape == 0) firstEscape = p;
      p += 2;
    } else if (c == 0) unreachable();
    else p++; // a control byte: the host sends valid JSON, so none is raw; pass over it
  }
}

// structural marks the bytes skipValue stops at inside an object or array: quote, brackets and
// braces, and the 0 at the end.
const structural = memory.data<u8>([
  1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

// skipValue returns the position after the value that starts at p.
export function skipValue(p: usize): usize {
  let c = at(p);
  if (c == 0x22) return skipString(p);
  if (c == 0x7b || c == 0x5b) {
    let depth = 0;
    while (true) {
      while (load<u8>(structural + <usize>load<u8>(p)) == 0) p++;
      c = at(p);
      if (c == 0x22) { p = skipString(p); continue; }
      if (c == 0) unreachable();
      if (c == 0x7b || c == 0x5b) depth++;
      else if (--depth == 0) return p + 1;
      p++;
    }
  }
  while (c != 0x2c && c != 0x7d && c != 0x5d && c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09 && c != 0) c = at(++p);
  return p;
}

// afterMember moves past the separator that follows a member or element: it returns the next
// member's position, or 0 when the object or array closed (closeAt is then set past it).
export let closeAt: usize = 0;

export function afterMember(p: usize): usize {
  p = ws(p);
  const c = at(p);
  if (c == 0x2c) return ws(p + 1);
  if (c == 0x7d || c == 0x5d) { closeAt = p + 1; return 0; }
  unreachable();
  return 0;
}

// firstMember returns the position of the first member of the object or array at p (a key's
// quote or an element), or 0 when it is empty (closeAt is then set past it).
export function firstMember(p: usize): usize {
  p = ws(p + 1);
  const c = at(p);
  if (c == 0x7d || c == 0x5d) { closeAt = p + 1; return 0; }
  return p;
}

// The key read by readKey: its raw bytes (without quotes) and the value's position.
export let keyStart: usize = 0;
export let keyLen: usize = 0;

export function readKey(p: usize): usize {
  if (at(p) != 0x22) unreachable();
  keyStart = p + 1;
  const after = skipString(p);
  keyLen = after - 1 - keyStart;
  p = ws(after);
  if (at(p) != 0x3a) unreachable();
  return ws(p + 1);
}

// keyIs says whether the key read last is lit, byte for byte (member names are matched exactly,
// as in a JSON pointer of the manifest's reads).
export function keyIs(lit: string): bool {
  return bytesAre(keyStart, keyLen, lit);
}

export function bytesAre(p: usize, len: usize, lit: string): bool {
  if (<i32>len != lit.length) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < len; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

// The string decoded by decodeString: where its UTF-8 bytes are and how many.
export let strPtr: usize = 0;
export let strLen: usize = 0;

// decodeString decodes the JSON value at p as a string. A string without escapes is its own raw
// bytes; one with escapes is decoded to scratch (at most as long as the raw string). Any other
// value decodes as "", as ValidateRaw reads it.
export function decodeString(p: usize, scratch: usize): void {
  strPtr = 0;
  strLen = 0;
  if (p == 0 || at(p) != 0x22) return;
  const start = p + 1;
  const end = skipString(p) - 1;
  let q = firstEscape;
  if (q == 0) {
    strPtr = start;
    strLen = end - start;
    return;
  }
  memory.copy(scratch, start, q - start);
  let o = scratch + (q - start);
  while (q < end) {
    let c = <u32>load<u8>(q);
    if (c != 0x5c) { store<u8>(o++, c); q++; continue; }
    c = <u32>load<u8>(q + 1);
    q += 2;
    switch (c) {
      case 0x62: store<u8>(o++, 0x08); break;
      case 0x66: store<u8>(o++, 0x0c); break;
      case 0x6e: store<u8>(o++, 0x0a); break;
      case 0x72: store<u8>(o++, 0x0d); break;
      case 0x74: store<u8>(o++, 0x09); break;
      case 0x75: {
        let r = hex4(q);
        q += 4;
        if (r >= 0xd800 && r < 0xdc00 && q + 6 <= end && load<u8>(q) == 0x5c && load<u8>(q + 1) == 0x75) {
          const lo = hex4(q + 2);
          if (lo >= 0xdc00 && lo < 0xe000) {
            r = 0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00);
            q += 6;
          }
        }
        if (r >= 0xd800 && r < 0xe000) r = 0xfffd; // a lone surrogate, as Go decodes it
        o = putRune(o, r);
        break;
      }
      default: store<u8>(o++, c); // \" \\ \/
    }
  }
  strPtr = scratch;
  strLen = o - scratch;
}

function hex4(p: usize): u32 {
  let r: u32 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const c = <u32>load<u8>(p + i);
    let d: u32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else { unreachable(); d = 0; }
    r = (r << 4) | d;
  }
  return r;
}

// putRune writes r as UTF-8 at o and returns the position after it.
function putRune(o: usize, r: u32): usize {
  if (r < 0x80) { store<u8>(o, r); return o + 1; }
  if (r < 0x800) {
    store<u8>(o, 0xc0 | (r >> 6));
    store<u8>(o + 1, 0x80 | (r & 0x3f));
    return o + 2;
  }
  if (r < 0x10000) {
    store<u8>(o, 0xe0 | (r >> 12));
    store<u8>(o + 1, 0x80 | ((r >> 6) & 0x3f));
    store<u8>(o + 2, 0x80 | (r & 0x3f));
    return o + 3;
  }
  store<u8>(o, 0xf0 | (r >> 18));
  store<u8>(o + 1, 0x80 | ((r >> 12) & 0x3f));
  store<u8>(o + 2, 0x80 | ((r >> 6) & 0x3f));
  store<u8>(o + 3, 0x80 | (r & 0x3f));
  return o + 4;
}
