(module
  (import "farol_v1" "memory" (memory 1))
  (func (export "call")))
