// The configuration, {"exemptNamespaces": [...]}, decoded as the Go policy's Provision decodes
// it: strictly (an unknown member is an error), member names matched ignoring ASCII case as
// encoding/json matches them, the last of repeated members winning, null meaning nothing.

import { afterMember, at, closeAt, decodeString, firstMember, keyLen, keyStart, readKey, setInput, skipValue, strLen, strPtr, ws } from "./json";
import { begin, error, finish, put, putRaw } from "./answer";
import { ensure, heapStart, setRequestBase } from "./memory";

// The exempt namespaces, from heapStart: each a u32 length and its bytes.
let exemptEnd: usize = heapStart;

export function provision(ptr: usize, len: usize): u64 {
  setInput(ptr, len);
  // The list is built after the configuration (4 bytes for each string of at least 3 bytes
  // of JSON, "",), then moved to heapStart.
  const listStart = (ptr + len + 16) & ~15; // past the 0 setInput writes
  const keyScratch = listStart + 2 * len + 16;
  const answerAt = (keyScratch + len + 15) & ~15;
  if (!ensure(answerAt)) unreachable(); // out of memory: the trap fails the load
  let list = listStart;
  const p = ws(ptr);
  const c = at(p);
  if (c == 0x6e) return done(listStart, list);
  if (c != 0x7b) return fail(answerAt, "nolatest config: not a JSON object");
  let m = firstMember(p);
  while (m != 0) {
    let v = readKey(m);
    decodeString(m, keyScratch);
    if (!foldedIs(strPtr, strLen, "exemptnamespaces")) {
      begin(answerAt);
      put('{"error":"nolatest config: json: unknown field \\"');
      putRaw(keyStart, keyLen);
      put('\\""}');
      return finish();
    }
    list = listStart;
    const open = at(v);
    if (open == 0x5b) {
      let e = firstMember(v);
      while (e != 0) {
        const ec = at(e);
        if (ec != 0x22 && ec != 0x6e) return fail(answerAt, "nolatest config: exemptNamespaces must be an array of strings");
        decodeString(e, list + 4);
        if (strLen != 0 && strPtr != list + 4) memory.copy(list + 4, strPtr, strLen);
        store<u32>(list, <u32>strLen);
        list += 4 + strLen;
        e = afterMember(skipValue(e));
      }
      v = closeAt;
    } else if (open == 0x6e) {
      v = skipValue(v);
    } else {
      return fail(answerAt, "nolatest config: exemptNamespaces must be an array of strings");
    }
    m = afterMember(v);
  }
  return done(listStart, list);
}

function done(listStart: usize, list: usize): u64 {
  const n = list - listStart;
  memory.copy(heapStart, listStart, n);
  exemptEnd = heapStart + n;
  setRequestBase(exemptEnd);
  return 0;
}

function fail(at: usize, message: string): u64 {
  begin(at);
  return error(message);
}

// foldedIs says whether the bytes at p equal lower, a lower-case ASCII literal, ignoring ASCII case.
function foldedIs(p: usize, n: usize, lower: string): bool {
  if (<i32>n != lower.length) return false;
  for (let i: usize = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != <u32>lower.charCodeAt(<i32>i)) return false;
  }
  return true;
}

// exempt says whether the n bytes at p are an exempt namespace.
export function exempt(p: usize, n: usize): bool {
  let e = heapStart;
  while (e < exemptEnd) {
    const len = <usize>load<u32>(e);
    if (len == n && memory.compare(e + 4, p, n) == 0) return true;
    e += 4 + len;
  }
  return false;
}
