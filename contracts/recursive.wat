;; recursive: calls itself n times, nesting one frame deeper each time.
;;
;; Calldata: n, a 32-bit little-endian number (4 bytes).
;; Effect:   if n > 0, calls itself with n - 1 and all the gas it may forward; then stores, in
;;           the slot whose key has n (32-bit little-endian) in its first 4 bytes, the call's
;;           result + 1 (1 = success, 2 = failure, 3 = revert) in the first byte of the value.
;;           With n = 0 it stores nothing. A frame at depth 1024 cannot call: its result is 1.
;; Gas:      callDataCopy 6 + (if n > 0) getAddress 2 + getGasLeft 2 + call 700 + the callee's
;;           use + storageStore 20000.
(module
  (import "ethereum" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "ethereum" "getAddress" (func $getAddress (param i32)))
  (import "ethereum" "getGasLeft" (func $getGasLeft (result i64)))
  (import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))
  (import "ethereum" "storageStore" (func $storageStore (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 4) n, [32, 36) n - 1, [64, 84) own address, [96, 112) value 0,
  ;;         [128, 160) storage key, [160, 192) storage value
  (func $main
    (local $n i32)
    (call $callDataCopy (i32.const 0) (i32.const 0) (i32.const 4))
    (local.set $n (i32.load (i32.const 0)))
    (if (i32.eqz (local.get $n)) (then (return)))
    (i32.store (i32.const 32) (i32.sub (local.get $n) (i32.const 1)))
    (call $getAddress (i32.const 64))
    (i32.store8 (i32.const 160)
      (i32.add (i32.const 1)
        (call $call (call $getGasLeft) (i32.const 64) (i32.const 96) (i32.const 32) (i32.const 4))))
    (i32.store (i32.const 128) (local.get $n))
    (call $storageStore (i32.const 128) (i32.const 160))))
