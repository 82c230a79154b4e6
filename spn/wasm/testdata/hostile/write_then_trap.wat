;; call() writes a slot, then traps (input "t"), reverts (input "r") or succeeds.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (import "farol_v1" "input_copy" (func $in (param i32)))
  (import "farol_v1" "revert" (func $rv (param i32 i32)))
  (memory 1)
  (data (i32.const 64) "kv")
  (func (export "call")
    (call $in (i32.const 0))
    (call $sw (i32.const 64) (i32.const 1) (i32.const 65) (i32.const 1))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 116)) (then unreachable))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 114)) (then (call $rv (i32.const 64) (i32.const 2))))))
