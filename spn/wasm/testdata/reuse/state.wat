;; Instance reuse: every call must see the state instantiation leaves.
;; call() records what it finds at 300..304: the internal global $g (7), the heap byte
;; at 200 (0), the data byte at 100 ('A'), memory.size (1) and a byte far above the
;; data at 60000 (0); then changes all of them and, by its first input byte:
;;   'g' grows memory by a page, 't' traps, 'r' reverts, 'o' runs out of gas,
;;   'n' calls itself with input "p" (the nested call needs another instance) and
;;       returns its own record, the nested record, then $g and the heap byte after;
;;   anything else returns the record.
(module
  (import "farol_v1" "input_copy" (func $in (param i32)))
  (import "farol_v1" "set_return" (func $ret (param i32 i32)))
  (import "farol_v1" "revert" (func $rv (param i32 i32)))
  (import "farol_v1" "self" (func $self (param i32)))
  (import "farol_v1" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "farol_v1" "return_data_copy" (func $rdc (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const -5))
  (data (i32.const 100) "A")
  (data (i32.const 500) "p")
  (func (export "call")
    (call $in (i32.const 0))
    (i32.store8 (i32.const 300) (global.get $g))
    (i32.store8 (i32.const 301) (i32.load8_u (i32.const 200)))
    (i32.store8 (i32.const 302) (i32.load8_u (i32.const 100)))
    (i32.store8 (i32.const 303) (i32.add (memory.size) (i32.wrap_i64 (i64.add (global.get $h) (i64.const 5)))))
    (i32.store8 (i32.const 304) (i32.load8_u (i32.const 60000)))
    (i32.store8 (i32.const 60000) (i32.const 33))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.set $h (i64.const 99))
    (i32.store8 (i32.const 200) (i32.add (i32.load8_u (i32.const 200)) (i32.const 1)))
    (i32.store8 (i32.const 100) (i32.const 90))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 103)) (then (drop (memory.grow (i32.const 1)))))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 116)) (then unreachable))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 114)) (then (call $rv (i32.const 300) (i32.const 5))))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 111)) (then (loop $l (br $l))))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 110))
      (then
        (call $self (i32.const 600))
        ;; value: 32 zero bytes at 700
        (drop (call $call (i32.const 600) (i32.const 700) (i32.const 500) (i32.const 1) (i64.const 0)))
        (call $rdc (i32.const 305))
        (i32.store8 (i32.const 310) (global.get $g))
        (i32.store8 (i32.const 311) (i32.load8_u (i32.const 200)))
        (call $ret (i32.const 300) (i32.const 12))
        (return)))
    (call $ret (i32.const 300) (i32.const 5))))
