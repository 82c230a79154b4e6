;; call(input = callee address (20) | callee input): calls the callee, writes slot "p"
;; = status byte, and returns the callee's return data.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (import "farol_v1" "input_size" (func $isz (result i32)))
  (import "farol_v1" "input_copy" (func $in (param i32)))
  (import "farol_v1" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "farol_v1" "return_data_size" (func $rsz (result i32)))
  (import "farol_v1" "return_data_copy" (func $rcp (param i32)))
  (import "farol_v1" "set_return" (func $ret (param i32 i32)))
  (memory 1)
  (data (i32.const 0) "p")
  (func (export "call") (local $n i32)
    (local.set $n (call $isz))
    (call $in (i32.const 1024))
    ;; value: 32 zero bytes at 512
    (i32.store8 (i32.const 1)
      (call $call (i32.const 1024) (i32.const 512) (i32.const 1044) (i32.sub (local.get $n) (i32.const 20)) (i64.const 0)))
    (call $sw (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1))
    (call $rcp (i32.const 4096))
    (call $ret (i32.const 4096) (call $rsz))))
