;; 65 pages of initial memory (over the reuse bound): never reused; call() traps
;; unless the byte at the end of memory is fresh.
(module
  (memory 65)
  (func (export "call")
    (if (i32.ne (i32.load8_u (i32.const 4259839)) (i32.const 0)) (then unreachable))
    (i32.store8 (i32.const 4259839) (i32.const 1))))
