;; A module that drops a passive data segment: never reused.
(module
  (memory 1)
  (data $d "xyz")
  (func (export "call") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d)))
