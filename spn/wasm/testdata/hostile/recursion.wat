;; call() recurses without end: must trap on the call depth limit.
(module
  (memory 1)
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func (export "call") (drop (call $r (i32.const 0)))))
