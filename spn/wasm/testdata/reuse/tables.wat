;; A module that changes its table (table.set): never reused.
(module
  (table 2 funcref)
  (elem declare func $f)
  (func $f)
  (func (export "call") (table.set (i32.const 0) (ref.func $f))))
