;; A validating admission guest written in WebAssembly text, not Go: it shows that the kapi ABI
;; (abi/SPEC.md section 3) needs nothing but its exports and imports. It denies a request whose
;; JSON contains the marker "kapi-deny" anywhere, allows every other, and logs each denial
;; through the kapi.log host function. Assemble with wabt:  wat2wasm denymarker.wat
(module
  ;; kapi.log(level, ptr, len): level 2 is warn.
  (import "kapi" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static answers. The host fills in response.uid when a guest leaves it out.
  (data (i32.const 64) "{\"response\":{\"allowed\":true}}")
  (data (i32.const 128) "{\"response\":{\"allowed\":false,\"status\":{\"status\":\"Failure\",\"message\":\"denied by the WAT guest: the object carries the kapi-deny marker\",\"reason\":\"Forbidden\",\"code\":403}}}")
  (data (i32.const 448) "denying a request that carries the kapi-deny marker")

  ;; The ABI version, (major << 16) | minor: 1.0.
  (func (export "kapi_abi_version") (result i32) (i32.const 0x00010000))

  ;; One request at a time, so every request goes at offset 1024, with memory grown to fit.
  (func (export "kapi_alloc") (param $size i32) (result i32)
    (local $need i32)
    ;; pages needed = (1024 + size + 65535) / 65536
    (local.set $need
      (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  (func (export "kapi_free") (param i32 i32))

  ;; kapi_validate(ptr, len) -> (answer_ptr << 32) | answer_len
  (func (export "kapi_validate") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32)
    (local $end i32)
    (local.set $end (i32.sub (i32.add (local.get $ptr) (local.get $len)) (i32.const 9)))
    (local.set $i (local.get $ptr))
    (block $done
      (loop $scan
        (br_if $done (i32.gt_s (local.get $i) (local.get $end)))
        ;; "kapi-den" as one little-endian i64, then "y".
        (if (i32.and
              (i64.eq (i64.load (local.get $i)) (i64.const 7954874463025127787))
              (i32.eq (i32.load8_u offset=8 (local.get $i)) (i32.const 121)))
          (then
            (call $log (i32.const 2) (i32.const 448) (i32.const 51))
            (return (i64.or (i64.shl (i64.const 128) (i64.const 32)) (i64.const 169)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 29))))
