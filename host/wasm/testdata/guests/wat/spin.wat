;; Robustness test guest: kapi_validate spins in a loop forever (a non-Go guest, so the
;; deadline is shown to stop plain Wasm loops too).
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "kapi_abi_version") (result i32) (i32.const 0x00010000))
  (func (export "kapi_alloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $p))
  (func (export "kapi_free") (param i32 i32))
  (func (export "kapi_validate") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0)))
