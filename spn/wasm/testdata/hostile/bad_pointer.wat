;; call() passes a pointer outside linear memory to the host.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (memory 1)
  (func (export "call") (call $sw (i32.const 65530) (i32.const 64) (i32.const 0) (i32.const 1))))
