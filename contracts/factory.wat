;; factory: deploys a child contract with `create`.
;;
;; Calldata: the child's init code (a constructor module whose `finish` output is the code to
;;           deploy).
;; Effect:   create(value = this call's value, init code = calldata); on success returns the
;;           20-byte address of the child; if the constructor reverts, reverts with its data;
;;           if the creation fails, traps (`unreachable`).
;; Gas:      getCallDataSize 2 + callDataCopy (3 + 3 per word) + getCallValue 2 + create 32000
;;           + what the constructor uses + 200 per deployed byte; on revert also
;;           getReturnDataSize 2 + returnDataCopy (3 + 3 per word).
(module
  (import "ethereum" "getCallDataSize" (func $getCallDataSize (result i32)))
  (import "ethereum" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "ethereum" "getCallValue" (func $getCallValue (param i32)))
  (import "ethereum" "create" (func $create (param i32 i32 i32 i32) (result i32)))
  (import "ethereum" "getReturnDataSize" (func $getReturnDataSize (result i32)))
  (import "ethereum" "returnDataCopy" (func $returnDataCopy (param i32 i32 i32)))
  (import "ethereum" "finish" (func $finish (param i32 i32)))
  (import "ethereum" "revert" (func $revert (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 20) new address, [32, 48) value, [64, ...) init code, then revert data
  (func $main
    (local $size i32) (local $result i32) (local $returned i32)
    (local.set $size (call $getCallDataSize))
    (call $callDataCopy (i32.const 64) (i32.const 0) (local.get $size))
    (call $getCallValue (i32.const 32))
    (local.set $result (call $create (i32.const 32) (i32.const 64) (local.get $size) (i32.const 0)))
    (if (i32.eqz (local.get $result))
      (then (call $finish (i32.const 0) (i32.const 20))))
    (if (i32.eq (local.get $result) (i32.const 1))
      (then (unreachable)))
    (local.set $returned (call $getReturnDataSize))
    (call $returnDataCopy (i32.const 64) (i32.const 0) (local.get $returned))
    (call $revert (i32.const 64) (local.get $returned))))
