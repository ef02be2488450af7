;; counter: adds 1 to a counter kept in storage slot 0 and returns the new slot value.
;;
;; Calldata: ignored.
;; Storage:  slot 0 (key = 32 zero bytes); the counter is a 64-bit little-endian number in the
;;           first 8 bytes of the 32-byte value.
;; Output:   the 32-byte slot value after the increment.
;; Gas:      storageLoad 200 + storageStore 5000 (+15000 when the slot was zero).
(module
  (import "ethereum" "storageLoad" (func $storageLoad (param i32 i32)))
  (import "ethereum" "storageStore" (func $storageStore (param i32 i32)))
  (import "ethereum" "finish" (func $finish (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 32) key (zero), [32, 64) value
  (func $main
    (call $storageLoad (i32.const 0) (i32.const 32))
    (i64.store (i32.const 32) (i64.add (i64.load (i32.const 32)) (i64.const 1)))
    (call $storageStore (i32.const 0) (i32.const 32))
    (call $finish (i32.const 32) (i32.const 32))))
