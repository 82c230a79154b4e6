;; call() never returns: must end out of gas.
(module
  (memory 1)
  (func (export "call") (loop $l (br $l))))
