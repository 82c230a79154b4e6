;; call() writes slots in an endless loop: out of gas, nothing written.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (memory 1)
  (func (export "call") (local $i i32)
    (loop $l
      (i32.store (i32.const 0) (local.get $i))
      (call $sw (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
