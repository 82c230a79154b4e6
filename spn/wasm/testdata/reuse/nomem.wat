;; A module without memory: reused; call() traps unless its global is fresh.
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "call")
    (if (i32.ne (global.get $n) (i32.const 0)) (then unreachable))
    (global.set $n (i32.const 1))))
