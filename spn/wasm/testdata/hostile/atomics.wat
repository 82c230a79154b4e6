(module
  (memory 1 1 shared)
  (func (export "call") (drop (i32.atomic.load (i32.const 0)))))
