;; call() asks for 60000 pages at once: refused by the cap, charged 60000 pages of gas.
(module
  (memory 1)
  (func (export "call") (drop (memory.grow (i32.const 60000)))))
