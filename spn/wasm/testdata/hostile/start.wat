(module
  (func $s)
  (start $s)
  (func (export "call")))
