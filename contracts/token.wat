;; token: an ERC-20-like token with balances in storage, `transfer` and `balanceOf`.
;;
;; Calldata (chosen by its length):
;;   20 bytes  balanceOf(owner):        owner address; returns the owner's 32-byte balance slot.
;;   28 bytes  transfer(to, amount):    recipient address, then amount as u64 little-endian;
;;             moves amount from the caller to `to`, emits Transfer, returns nothing.
;;   other     revert with no data.
;; Storage:    key = the owner's address left-padded with 12 zero bytes; the balance is a u64
;;             little-endian number in the first 8 bytes of the 32-byte value.
;; Reverts:    with "insufficient" (12 bytes) if the caller holds less than amount, with
;;             "overflow" (8 bytes) if the recipient's balance would pass 2^64 - 1.
;; Log:        topic 1 = keccak256("Transfer(address,address,uint256)"), topic 2 = the caller
;;             and topic 3 = the recipient (both padded to 32 bytes); data = amount as a 32-byte
;;             slot value (u64 little-endian, then zeros).
;; Gas:        balanceOf: getCallDataSize 2 + callDataCopy 6 + storageLoad 200 = 208.
;;             transfer: getCallDataSize 2 + callDataCopy 6 + callDataCopy 6 + getCaller 2
;;             + storageLoad 200 (+ revert here if insufficient: 216 in all) + storageStore 5000
;;             + storageLoad 200 + storageStore 5000 (+15000 if the recipient's slot was zero)
;;             + log 375 + 3 * 375 + 8 * 32 = 12172 (27172 to a new holder).
(module
  (import "ethereum" "getCallDataSize" (func $getCallDataSize (result i32)))
  (import "ethereum" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "ethereum" "getCaller" (func $getCaller (param i32)))
  (import "ethereum" "storageLoad" (func $storageLoad (param i32 i32)))
  (import "ethereum" "storageStore" (func $storageStore (param i32 i32)))
  (import "ethereum" "log" (func $log (param i32 i32 i32 i32 i32 i32 i32)))
  (import "ethereum" "finish" (func $finish (param i32 i32)))
  (import "ethereum" "revert" (func $revert (param i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 32) caller key, [32, 64) caller balance, [64, 96) recipient key,
  ;; [96, 128) recipient balance, [128, 136) amount, [160, 192) Transfer topic,
  ;; [192, 224) log data, [224, 236) "insufficient", [240, 248) "overflow"
  (data (i32.const 160) "\dd\f2\52\ad\1b\e2\c8\9b\69\c2\b0\68\fc\37\8d\aa\95\2b\a7\f1\63\c4\a1\16\28\f5\5a\4d\f5\23\b3\ef")
  (data (i32.const 224) "insufficient")
  (data (i32.const 240) "overflow")
  (func $main
    (local $size i32) (local $amount i64) (local $from i64) (local $to i64)
    (local.set $size (call $getCallDataSize))
    (if (i32.eq (local.get $size) (i32.const 20))
      (then
        (call $callDataCopy (i32.const 76) (i32.const 0) (i32.const 20))
        (call $storageLoad (i32.const 64) (i32.const 96))
        (call $finish (i32.const 96) (i32.const 32))))
    (if (i32.ne (local.get $size) (i32.const 28))
      (then (call $revert (i32.const 0) (i32.const 0))))
    (call $callDataCopy (i32.const 76) (i32.const 0) (i32.const 20))
    (call $callDataCopy (i32.const 128) (i32.const 20) (i32.const 8))
    (local.set $amount (i64.load (i32.const 128)))
    (call $getCaller (i32.const 12))
    (call $storageLoad (i32.const 0) (i32.const 32))
    (local.set $from (i64.load (i32.const 32)))
    (if (i64.lt_u (local.get $from) (local.get $amount))
      (then (call $revert (i32.const 224) (i32.const 12))))
    (i64.store (i32.const 32) (i64.sub (local.get $from) (local.get $amount)))
    (call $storageStore (i32.const 0) (i32.const 32))
    ;; loaded after the debit, so a transfer to oneself nets to zero
    (call $storageLoad (i32.const 64) (i32.const 96))
    (local.set $to (i64.add (i64.load (i32.const 96)) (local.get $amount)))
    (if (i64.lt_u (local.get $to) (local.get $amount))
      (then (call $revert (i32.const 240) (i32.const 8))))
    (i64.store (i32.const 96) (local.get $to))
    (call $storageStore (i32.const 64) (i32.const 96))
    (i64.store (i32.const 192) (local.get $amount))
    (call $log (i32.const 192) (i32.const 32) (i32.const 3)
      (i32.const 160) (i32.const 0) (i32.const 64) (i32.const 0))))
