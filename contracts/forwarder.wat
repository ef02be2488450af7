;; forwarder: forwards its call value and a payload to another contract and relays the answer.
;;
;; Calldata: 20-byte target address, then the payload.
;; Effect:   call(target, value = this call's value, data = payload, gas = all it may forward);
;;           returns the target's return data if the call succeeded, reverts with it otherwise.
;;           Calldata shorter than 20 bytes: revert with no data.
;; Gas:      getCallDataSize 2 + callDataCopy (3 + 3) + callDataCopy (3 + 3 per payload word)
;;           + getCallValue 2 + getGasLeft 2 + call 700 (+9000 with value, +25000 more if the
;;           target does not exist) + what the target uses + getReturnDataSize 2
;;           + returnDataCopy (3 + 3 per return word).
(module
  (import "ethereum" "getCallDataSize" (func $getCallDataSize (result i32)))
  (import "ethereum" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "ethereum" "getCallValue" (func $getCallValue (param i32)))
  (import "ethereum" "getGasLeft" (func $getGasLeft (result i64)))
  (import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))
  (import "ethereum" "getReturnDataSize" (func $getReturnDataSize (result i32)))
  (import "ethereum" "returnDataCopy" (func $returnDataCopy (param i32 i32 i32)))
  (import "ethereum" "finish" (func $finish (param i32 i32)))
  (import "ethereum" "revert" (func $revert (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 20) target, [32, 48) value, [64, ...) payload, then return data
  (func $main
    (local $payload i32) (local $result i32) (local $returned i32)
    (local.set $payload (i32.sub (call $getCallDataSize) (i32.const 20)))
    (if (i32.lt_s (local.get $payload) (i32.const 0))
      (then (call $revert (i32.const 0) (i32.const 0))))
    (call $callDataCopy (i32.const 0) (i32.const 0) (i32.const 20))
    (call $callDataCopy (i32.const 64) (i32.const 20) (local.get $payload))
    (call $getCallValue (i32.const 32))
    (local.set $result
      (call $call (call $getGasLeft) (i32.const 0) (i32.const 32) (i32.const 64) (local.get $payload)))
    (local.set $returned (call $getReturnDataSize))
    (call $returnDataCopy (i32.const 64) (i32.const 0) (local.get $returned))
    (if (i32.eqz (local.get $result))
      (then (call $finish (i32.const 64) (local.get $returned))))
    (call $revert (i32.const 64) (local.get $returned))))
