// The guest's memory layout, in order from __heap_base (nothing else uses the heap: the guest
// never allocates with new, so the stub runtime's allocator is never called):
//
//   exempt namespaces (written once, by kapi_provision)
//   request buffer    (kapi_alloc: always the same place, one request at a time), then a 0
//   scratch           (decoded strings with escapes: at most the request's length)
//   answer            (a denial or an error; allowed answers are static)
//
// Memory grows with memory.grow as a request or an answer needs it.

export const heapStart: usize = (__heap_base + 15) & ~15;

// requestBase is where kapi_alloc places every request: after the exempt namespaces.
export let requestBase: usize = heapStart;

export function setRequestBase(p: usize): void {
  requestBase = (p + 15) & ~15;
}

// ensure grows memory so that it reaches limit; false when it cannot.
export function ensure(limit: usize): bool {
  const pages = <i32>((limit + 0xffff) >>> 16);
  const have = memory.size();
  return pages <= have || memory.grow(pages - have) >= 0;
}

// pack is an export's answer: (ptr << 32) | len.
@inline export function pack(ptr: usize, len: usize): u64 {
  return (<u64>ptr << 32) | <u64>len;
}

