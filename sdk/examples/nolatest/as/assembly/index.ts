// no-latest, the kapi example admission policy (sdk/examples/nolatest), as an AssemblyScript
// Wasm guest: it denies a pod create or update whose container or init container image has no
// tag, an empty tag or the tag "latest", unless pinned by digest, outside the configured exempt
// namespaces. It speaks the kapi ABI 1.1 (abi/SPEC.md section 3) with no imports, reads the
// review in place and answers an allowed pod with a static answer: an allowed call allocates
// nothing and copies nothing. Its manifest lists nolatest.Reads, so the host sends it only the
// parts of the review it reads.

import { afterMember, at, bytesAre, closeAt, decodeString, firstMember, keyIs, readKey, setInput, skipValue, strLen, strPtr, ws } from "./json";
import { allowed, begin, beginDenial, error, finishDenial, put, putQuoted } from "./answer";
import { ensure, requestBase } from "./memory";
import { exempt, provision } from "./config";

export function kapi_abi_version(): i32 {
  return 0x00010001;
}

// kapi_alloc places every request at requestBase, with room after it for the scratch region.
export function kapi_alloc(size: u32): u32 {
  return ensure(requestBase + 2 * <usize>size + 64) ? <u32>requestBase : 0;
}

export function kapi_free(ptr: u32, size: u32): void {}

export function kapi_provision(ptr: u32, len: u32): u64 {
  return provision(ptr, len);
}

// Where the values the policy reads start in the review (0: absent), found in one pass.
let group: usize = 0;
let resource: usize = 0;
let subResource: usize = 0;
let operation: usize = 0;
let namespace: usize = 0;
let initContainers: usize = 0;
let containers: usize = 0;
let hasRequest = false;

export function kapi_validate(ptr: u32, len: u32): u64 {
  setInput(ptr, len);
  const scratch = (<usize>ptr + len + 16) & ~15; // past the 0 setInput writes
  const answerAt = (scratch + len + 15) & ~15;
  group = resource = subResource = operation = namespace = initContainers = containers = 0;
  hasRequest = false;
  const p = ws(ptr);
  if (at(p) != 0x7b) return fail(answerAt, "review is not a JSON object");
  let m = firstMember(p);
  while (m != 0) {
    let v = readKey(m);
    if (keyIs("request")) {
      hasRequest = at(v) == 0x7b;
      v = hasRequest ? readRequest(v) : skipValue(v);
    } else v = skipValue(v);
    m = afterMember(v);
  }
  if (!hasRequest) return fail(answerAt, "review has no request");
  if (!applies(scratch)) return allowed();
  if (!isArrayOrNull(initContainers) || !isArrayOrNull(containers)) {
    return fail(answerAt, "decoding pod: containers are not an array");
  }
  if (!anyFloating(initContainers, scratch) && !anyFloating(containers, scratch)) return allowed();
  // The Go policy's order: init containers first, whatever the order of the review's members.
  beginDenial(answerAt);
  const first = denyFloating(initContainers, scratch, true);
  denyFloating(containers, scratch, first);
  return finishDenial();
}

function fail(at: usize, message: string): u64 {
  begin(at);
  return error(message);
}

function readRequest(p: usize): usize {
  let m = firstMember(p);
  while (m != 0) {
    let v = readKey(m);
    if (keyIs("resource")) v = readResource(v);
    else if (keyIs("object")) v = readObject(v);
    else {
      if (keyIs("subResource")) subResource = v;
      else if (keyIs("operation")) operation = v;
      else if (keyIs("namespace")) namespace = v;
      v = skipValue(v);
    }
    m = afterMember(v);
  }
  return closeAt;
}

function readResource(p: usize): usize {
  if (at(p) != 0x7b) return skipValue(p);
  let m = firstMember(p);
  while (m != 0) {
    const v = readKey(m);
    if (keyIs("group")) group = v;
    else if (keyIs("resource")) resource = v;
    m = afterMember(skipValue(v));
  }
  return closeAt;
}

// readObject finds the object's spec; readSpec its containers and init containers.
function readObject(p: usize): usize {
  if (at(p) != 0x7b) return skipValue(p);
  let m = firstMember(p);
  while (m != 0) {
    let v = readKey(m);
    v = keyIs("spec") ? readSpec(v) : skipValue(v);
    m = afterMember(v);
  }
  return closeAt;
}

function readSpec(p: usize): usize {
  if (at(p) != 0x7b) return skipValue(p);
  let m = firstMember(p);
  while (m != 0) {
    const v = readKey(m);
    if (keyIs("containers")) containers = v;
    else if (keyIs("initContainers")) initContainers = v;
    m = afterMember(skipValue(v));
  }
  return closeAt;
}

// applies says whether the policy looks at the request: pod creates and updates outside the
// exempt namespaces.
function applies(scratch: usize): bool {
  decodeString(group, scratch);
  if (strLen != 0) return false;
  decodeString(resource, scratch);
  if (!bytesAre(strPtr, strLen, "pods")) return false;
  decodeString(subResource, scratch);
  if (strLen != 0) return false;
  decodeString(operation, scratch);
  if (!bytesAre(strPtr, strLen, "CREATE") && !bytesAre(strPtr, strLen, "UPDATE")) return false;
  decodeString(namespace, scratch);
  return !exempt(strPtr, strLen);
}

function isArrayOrNull(v: usize): bool {
  const c = at(v);
  return v == 0 || c == 0x5b || c == 0x6e;
}

// The name and image of the container readContainer read last (0: absent). An element that is
// not an object is a container with neither, as null decodes in Go.
let name: usize = 0;
let image: usize = 0;

function readContainer(p: usize): usize {
  name = image = 0;
  if (at(p) != 0x7b) return skipValue(p);
  let m = firstMember(p);
  while (m != 0) {
    const v = readKey(m);
    if (keyIs("image")) image = v;
    else if (keyIs("name")) name = v;
    m = afterMember(skipValue(v));
  }
  return closeAt;
}

function anyFloating(array: usize, scratch: usize): bool {
  if (array == 0 || at(array) != 0x5b) return false;
  let e = firstMember(array);
  while (e != 0) {
    e = readContainer(e);
    decodeString(image, scratch);
    if (floating(strPtr, strLen)) return true;
    e = afterMember(e);
  }
  return false;
}

// denyFloating adds the array's floating containers to the denial; it returns whether the
// message still has none.
function denyFloating(array: usize, scratch: usize, first: bool): bool {
  if (array == 0 || at(array) != 0x5b) return first;
  let e = firstMember(array);
  while (e != 0) {
    e = readContainer(e);
    decodeString(image, scratch);
    if (floating(strPtr, strLen)) {
      if (!first) put(", ");
      first = false;
      put("container ");
      decodeString(name, scratch);
      putQuoted(strPtr, strLen);
      put(" image ");
      decodeString(image, scratch);
      putQuoted(strPtr, strLen);
    }
    e = afterMember(e);
  }
  return first;
}

// floating is nolatest.Floating: no tag and no digest, or the tag "latest". A registry
// host:port (before the last slash) is not a tag.
function floating(p: usize, n: usize): bool {
  let colon: usize = n; // the first colon after the last slash
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c == 0x40) return false;
    if (c == 0x2f) colon = n;
    else if (c == 0x3a && colon == n) colon = i;
  }
  return colon == n || colon == n - 1 || bytesAre(p + colon + 1, n - colon - 1, "latest");
}
