;; reverter: writes storage, then reverts, so the write never lands.
;;
;; Calldata: ignored.
;; Effect:   storageStore(slot 0 := 1), then revert with the 8 bytes "reverted".
;; Gas:      storageStore 20000 (slot 0 is zero: it is never really written); the rest is
;;           returned to the caller.
(module
  (import "ethereum" "storageStore" (func $storageStore (param i32 i32)))
  (import "ethereum" "revert" (func $revert (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 32) key (zero), [32, 64) value 1 (big-endian), [64, 72) revert data
  (data (i32.const 63) "\01")
  (data (i32.const 64) "reverted")
  (func $main
    (call $storageStore (i32.const 0) (i32.const 32))
    (call $revert (i32.const 64) (i32.const 8))))
