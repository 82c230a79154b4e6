;; call() computes 0/0 (a NaN whose bits the hardware chooses), stores it and writes the
;; 8 bytes to storage: the instrumenter canonicalises the NaN, so every node stores
;; 0x7ff8000000000000.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (memory 1)
  (func (export "call")
    (f64.store (i32.const 0) (f64.div (f64.const 0) (f64.const 0)))
    (i64.store (i32.const 16) (i64.reinterpret_f64 (f64.neg (f64.div (f64.const 0) (f64.const 0)))))
    (call $sw (i32.const 100) (i32.const 1) (i32.const 0) (i32.const 24))))
