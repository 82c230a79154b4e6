;; call() grows memory by 64 pages until memory.grow fails, then writes the page
;; count: memory is capped (MaxMemoryPages) and growth is charged per page.
(module
  (import "farol_v1" "storage_write" (func $sw (param i32 i32 i32 i32)))
  (memory 1)
  (func (export "call")
    (block $done (loop $l
      (br_if $done (i32.eq (memory.grow (i32.const 64)) (i32.const -1)))
      (br $l)))
    (i32.store (i32.const 0) (memory.size))
    (call $sw (i32.const 8) (i32.const 1) (i32.const 0) (i32.const 4))))
