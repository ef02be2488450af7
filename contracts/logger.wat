;; logger: emits one log with two topics and the calldata as data.
;;
;; Calldata: any bytes (the log data).
;; Log:      topic 1 = 32 bytes of 0x11, topic 2 = the caller's address left-padded to 32 bytes,
;;           data = the calldata.
;; Gas:      getCaller 2 + getCallDataSize 2 + callDataCopy (3 + 3 per word)
;;           + log (375 + 2 * 375 + 8 per data byte).
(module
  (import "ethereum" "getCaller" (func $getCaller (param i32)))
  (import "ethereum" "getCallDataSize" (func $getCallDataSize (result i32)))
  (import "ethereum" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "ethereum" "log" (func $log (param i32 i32 i32 i32 i32 i32 i32)))
  (memory 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  ;; memory: [0, 32) topic 1, [32, 64) topic 2, [64, ...) data
  (data (i32.const 0) "\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11")
  (func $main
    (local $size i32)
    (call $getCaller (i32.const 44))
    (local.set $size (call $getCallDataSize))
    (call $callDataCopy (i32.const 64) (i32.const 0) (local.get $size))
    (call $log (i32.const 64) (local.get $size) (i32.const 2)
      (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0))))
