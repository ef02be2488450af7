//! Integration tests of the Ewasm layer: the example contracts in `contracts/`, every EEI
//! function, message semantics, validation errors and bad inputs. Gas figures are worked out by
//! hand from the gas table (eei.md §2) in the comments next to them.

use ewvm::ewasm::gas;
use ewvm::ewasm::{
    execute_message, ContractError, DebugOutput, Env, ExecutionResult, Failure, Message, Metering,
    Settings, Status, TxContext, Vm,
};
use ewvm::state::{create_address, keccak256, Account, Log, WorldState};
use ewvm::wasm::TrapCode;
use primitive_types::{H160, H256, U256};

const GAS: i64 = 1_000_000;
const SENDER: H160 = H160([0xaa; 20]);
const CONTRACT: H160 = H160([0xc0; 20]);
const OTHER: H160 = H160([0xc1; 20]);
const ORIGIN: H160 = H160([0x0a; 20]);

/// Compiles `contracts/NAME.wat`.
fn example(name: &str) -> Vec<u8> {
    let path = format!("{}/contracts/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compiles WAT text.
fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A contract module with `imports` (WAT import lines), one page of memory, optional `data`
/// segments and `body` as `main`.
fn module(imports: &str, data: &str, body: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module {imports}
            (memory 1) (export "memory" (memory 0)) {data}
            (func (export "main") {body}))"#
    ))
}

/// A contract account.
fn contract_account(code: Vec<u8>, balance: u64) -> Account {
    Account {
        code: code.into(),
        balance: U256::from(balance),
        ..Account::default()
    }
}

/// A state with a funded sender and `contracts`.
fn state_with(contracts: &[(H160, Vec<u8>)]) -> WorldState {
    let mut state = WorldState::new();
    state.insert_account(SENDER, Account::with_balance(U256::from(10u64.pow(18))));
    for (address, code) in contracts {
        state.insert_account(*address, contract_account(code.clone(), 0));
    }
    state
}

fn env() -> Env {
    Env {
        tx: TxContext {
            gas_price: U256::from(7),
            origin: ORIGIN,
            coinbase: H160::repeat_byte(0xcb),
            number: 300,
            timestamp: 1_000,
            gas_limit: 8_000_000,
            difficulty: U256::from(0x020000),
            chain_id: U256::one(),
        },
        block_hashes: [(299, H256::repeat_byte(0x99))].into_iter().collect(),
    }
}

/// Runs `msg` with metering off.
fn run(state: &mut WorldState, msg: &Message) -> ExecutionResult {
    execute_message(&Vm::new(Settings::default()), state, &env(), msg)
}

/// Calls `to` from `SENDER` with `input` and `GAS`.
fn call(state: &mut WorldState, to: H160, input: &[u8]) -> ExecutionResult {
    run(state, &Message::call(SENDER, to, input.to_vec(), GAS))
}

/// Runs `code` at `CONTRACT` in a fresh state and returns the result.
fn run_code(code: Vec<u8>, input: &[u8]) -> ExecutionResult {
    call(&mut state_with(&[(CONTRACT, code)]), CONTRACT, input)
}

#[track_caller]
fn assert_success(result: &ExecutionResult, gas_used: i64, output: &[u8]) {
    assert_eq!(result.status, Status::Success, "{result:?}");
    assert_eq!(GAS - result.gas_left, gas_used, "gas used");
    assert_eq!(result.output, output, "output");
}

#[track_caller]
fn assert_failure(result: &ExecutionResult, failure: Failure) {
    assert_eq!(result.status, Status::Failure(failure), "{result:?}");
    assert_eq!(result.gas_left, 0);
    assert!(result.output.is_empty());
}

/// A 32-byte storage word holding `n` little-endian in its first bytes (the counter layout).
fn le_word(n: u64) -> H256 {
    let mut word = [0; 32];
    word[..8].copy_from_slice(&n.to_le_bytes());
    H256(word)
}

// ----- Example contracts -----

#[test]
fn counter_counts_with_exact_gas() {
    let mut state = state_with(&[(CONTRACT, example("counter"))]);
    // storageLoad 200 + storageStore 5000 + 15000 (zero slot becomes non-zero).
    assert_success(
        &call(&mut state, CONTRACT, &[]),
        20_200,
        le_word(1).as_bytes(),
    );
    // storageLoad 200 + storageStore 5000.
    assert_success(
        &call(&mut state, CONTRACT, &[]),
        5_200,
        le_word(2).as_bytes(),
    );
    assert_eq!(state.storage(CONTRACT, H256::zero()), le_word(2));
}

#[test]
fn forwarder_relays_call_value_and_output() {
    let mut state = state_with(&[
        (CONTRACT, example("forwarder")),
        (OTHER, example("counter")),
    ]);
    let msg = Message::call(SENDER, CONTRACT, OTHER.as_bytes().to_vec(), GAS)
        .with_value(U256::from(1000));
    let result = run(&mut state, &msg);
    // Forwarder: getCallDataSize 2 + callDataCopy 6 + callDataCopy 3 (empty payload)
    // + getCallValue 2 + getGasLeft 2 + call 700 + value transfer 9000 + getReturnDataSize 2
    // + returnDataCopy 6 = 9723. Counter: 20200, of which the 2300 stipend pays 2300.
    assert_success(&result, 9_723 + 20_200 - 2_300, le_word(1).as_bytes());
    assert_eq!(state.balance(CONTRACT), U256::zero());
    assert_eq!(state.balance(OTHER), U256::from(1000));
    assert_eq!(state.balance(SENDER), U256::from(10u64.pow(18) - 1000));
    assert_eq!(state.storage(OTHER, H256::zero()), le_word(1));
}

#[test]
fn value_call_to_missing_account_pays_new_account_gas() {
    let mut state = state_with(&[(CONTRACT, example("forwarder"))]);
    let msg =
        Message::call(SENDER, CONTRACT, OTHER.as_bytes().to_vec(), GAS).with_value(U256::from(5));
    let result = run(&mut state, &msg);
    // 2 + 6 + 3 + 2 + 2 + 700 + 9000 + 25000 + 2 + 3 (empty return data); the callee has no
    // code and gives back all its gas including the 2300 stipend.
    assert_success(&result, 34_720 - 2_300, &[]);
    assert_eq!(state.balance(OTHER), U256::from(5));
}

#[test]
fn logger_emits_log() {
    let mut state = state_with(&[(CONTRACT, example("logger"))]);
    let data = b"hello, log".to_vec();
    let result = call(&mut state, CONTRACT, &data);
    // getCaller 2 + getCallDataSize 2 + callDataCopy 3 + 3 + log 375 + 2 * 375 + 8 * 10.
    assert_success(&result, 1_215, &[]);
    let mut caller_topic = H256::zero();
    caller_topic.0[12..].copy_from_slice(SENDER.as_bytes());
    let expected = Log {
        address: CONTRACT,
        topics: vec![H256::repeat_byte(0x11), caller_topic],
        data,
    };
    assert_eq!(state.logs(), [expected]);
}

#[test]
fn reverter_keeps_gas_and_output_but_not_state() {
    let mut state = state_with(&[(CONTRACT, example("reverter"))]);
    let before = state.accounts().clone();
    let result = call(&mut state, CONTRACT, &[]);
    assert_eq!(result.status, Status::Revert);
    assert_eq!(result.status_code(), 2);
    assert_eq!(GAS - result.gas_left, 20_000);
    assert_eq!(result.output, b"reverted");
    assert_eq!(state.accounts(), &before);
}

#[test]
fn nested_revert_restores_callee_state() {
    let mut state = state_with(&[
        (CONTRACT, example("forwarder")),
        (OTHER, example("reverter")),
    ]);
    let before = state.accounts().clone();
    let result = call(&mut state, CONTRACT, OTHER.as_bytes());
    // Forwarder 2 + 6 + 3 + 2 + 2 + 700 + 2 + 6 = 723; the reverter's 20000 is spent.
    assert_eq!(result.status, Status::Revert);
    assert_eq!(GAS - result.gas_left, 20_723);
    assert_eq!(result.output, b"reverted");
    assert_eq!(state.accounts(), &before);
}

#[test]
fn failure_after_nested_success_rolls_everything_back() {
    let code = module(
        r#"(import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))
           (import "ethereum" "log" (func $log (param i32 i32 i32 i32 i32 i32 i32)))"#,
        r#"(data (i32.const 0) "\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1")"#,
        "(drop (call $call (i64.const 100000) (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0)))
         (call $log (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
         (unreachable)",
    );
    let mut state = state_with(&[(CONTRACT, code), (OTHER, example("counter"))]);
    let before = state.accounts().clone();
    let result = call(&mut state, CONTRACT, &[]);
    assert_failure(&result, Failure::Trap(TrapCode::Unreachable));
    assert_eq!(state.accounts(), &before);
    assert!(state.logs().is_empty());
}

#[test]
fn factory_creates_child() {
    let runtime = example("counter");
    let init = constructor(&runtime);
    let mut state = state_with(&[(CONTRACT, example("factory"))]);
    let msg = Message::call(SENDER, CONTRACT, init.clone(), GAS).with_value(U256::from(77));
    let result = run(&mut state, &msg);
    let child = create_address(CONTRACT, 0);
    // Factory: getCallDataSize 2 + callDataCopy 3 + 3 * words + getCallValue 2 + create 32000;
    // constructor: nothing; deposit 200 per byte.
    let words = init.len().div_ceil(32) as i64;
    let used = 2 + 3 + 3 * words + 2 + 32_000 + 200 * runtime.len() as i64;
    assert_success(&result, used, child.as_bytes());
    assert_eq!(state.code(child).bytes(), &runtime[..]);
    assert_eq!(state.nonce(child), 1);
    assert_eq!(state.nonce(CONTRACT), 1);
    assert_eq!(state.balance(child), U256::from(77));
    assert_success(&call(&mut state, child, &[]), 20_200, le_word(1).as_bytes());
}

/// A constructor whose `main` returns `runtime` as the code to deploy.
fn constructor(runtime: &[u8]) -> Vec<u8> {
    let escaped: String = runtime.iter().map(|b| format!("\\{b:02x}")).collect();
    module(
        r#"(import "ethereum" "finish" (func $finish (param i32 i32)))"#,
        &format!(r#"(data (i32.const 0) "{escaped}")"#),
        &format!("(call $finish (i32.const 0) (i32.const {}))", runtime.len()),
    )
}

#[test]
fn factory_reverts_with_constructor_revert_data() {
    let mut state = state_with(&[(CONTRACT, example("factory"))]);
    let before = state.accounts().clone();
    let result = call(&mut state, CONTRACT, &example("reverter"));
    assert_eq!(result.status, Status::Revert);
    assert_eq!(result.output, b"reverted");
    // Reverted frames leave no trace (the factory's nonce bump is inside its own frame).
    assert_eq!(state.accounts(), &before);
}

#[test]
fn create_message_deploys_code() {
    let runtime = example("logger");
    let mut state = state_with(&[]);
    let result = run(
        &mut state,
        &Message::create(SENDER, constructor(&runtime), GAS),
    );
    let address = create_address(SENDER, 0);
    assert_eq!(result.status, Status::Success);
    assert_eq!(result.create_address, Some(address));
    assert_eq!(GAS - result.gas_left, 200 * runtime.len() as i64);
    assert_eq!(state.code(address).bytes(), &runtime[..]);
    assert_eq!(state.nonce(SENDER), 1);
}

#[test]
fn create_rejects_invalid_deployed_code_and_passes_non_wasm_through() {
    let mut state = state_with(&[]);
    let bad = wat(r#"(module (memory 1) (export "memory" (memory 0)))"#);
    let result = run(&mut state, &Message::create(SENDER, constructor(&bad), GAS));
    assert_failure(
        &result,
        Failure::InvalidContract(ContractError::MissingMain),
    );
    assert!(!state.exists(create_address(SENDER, 0)));
    assert_eq!(state.nonce(SENDER), 1, "the nonce bump stays");
    let junk = vec![0xfe, 0x01, 0x02];
    let result = run(
        &mut state,
        &Message::create(SENDER, constructor(&junk), GAS),
    );
    assert_eq!(result.status, Status::Success);
    assert_eq!(state.code(create_address(SENDER, 1)).bytes(), &junk[..]);
    // Calling non-Wasm code fails like Hera's evm1mode=reject.
    let result = call(&mut state, create_address(SENDER, 1), &[]);
    assert_failure(&result, Failure::InvalidContract(ContractError::NotWasm));
    assert_eq!(result.status_code(), 1);
}

#[test]
fn create_enforces_code_size_and_deposit_gas() {
    let mut state = state_with(&[]);
    let big = vec![0; gas::MAX_CODE_SIZE + 1];
    let result = run(&mut state, &Message::create(SENDER, constructor(&big), GAS));
    assert_failure(&result, Failure::CodeSizeExceeded(gas::MAX_CODE_SIZE + 1));
    let runtime = example("counter");
    let short = 200 * runtime.len() as i64 - 1;
    let result = run(
        &mut state,
        &Message::create(SENDER, constructor(&runtime), short),
    );
    assert_failure(&result, Failure::OutOfGas);
    assert!(!state.exists(create_address(SENDER, 1)));
}

#[test]
fn recursion_reaches_depth_1024() {
    let mut state = state_with(&[(CONTRACT, example("recursive"))]);
    let msg = Message::call(
        SENDER,
        CONTRACT,
        1100u32.to_le_bytes().to_vec(),
        100_000_000_000_000,
    );
    // Each level keeps 1/64 of its gas and the 1025 frames use about 20700 each, so the
    // innermost frames need a huge start.
    let result = run(&mut state, &msg);
    assert_eq!(result.status, Status::Success, "{result:?}");
    let slot = |n: u32| {
        let mut key = H256::zero();
        key.0[..4].copy_from_slice(&n.to_le_bytes());
        state.storage(CONTRACT, key).0[0]
    };
    // Frame at depth d has n = 1100 - d; depth 1024 (n = 76) cannot call: result 1, stored 2.
    assert_eq!(slot(76), 2);
    for n in 77..=1100 {
        assert_eq!(slot(n), 1, "n = {n}");
    }
    assert_eq!(slot(75), 0, "no frame deeper than 1024");
}

// ----- Static mode -----

#[test]
fn static_calls_forbid_state_changes() {
    let forbidden = [
        ("storageStore", r#"(import "ethereum" "storageStore" (func $f (param i32 i32)))"#, "(call $f (i32.const 0) (i32.const 0))"),
        ("log", r#"(import "ethereum" "log" (func $f (param i32 i32 i32 i32 i32 i32 i32)))"#,
            "(call $f (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))"),
        ("create", r#"(import "ethereum" "create" (func $f (param i32 i32 i32 i32) (result i32)))"#,
            "(drop (call $f (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))"),
        ("selfDestruct", r#"(import "ethereum" "selfDestruct" (func $f (param i32)))"#, "(call $f (i32.const 0))"),
        ("call with value", r#"(import "ethereum" "call" (func $f (param i64 i32 i32 i32 i32) (result i32)))"#,
            "(drop (call $f (i64.const 0) (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0)))"),
    ];
    for (name, import, body) in forbidden {
        let value = r#"(data (i32.const 32) "\01")"#;
        let callee = module(import, value, body);
        let mut msg = Message::call(SENDER, OTHER, vec![], GAS);
        msg.is_static = true;
        let mut state = state_with(&[(OTHER, callee.clone())]);
        state.set_balance(OTHER, U256::from(10));
        let result = run(&mut state, &msg);
        assert_failure(&result, Failure::StaticModeViolation);
        assert_eq!(result.status_code(), 11, "{name}");
        // Through callStatic: the call returns 1 and the caller carries on.
        let caller = module(
            r#"(import "ethereum" "callStatic" (func $cs (param i64 i32 i32 i32) (result i32)))
               (import "ethereum" "finish" (func $finish (param i32 i32)))"#,
            r#"(data (i32.const 0) "\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1")"#,
            "(i32.store (i32.const 64) (call $cs (i64.const 50000) (i32.const 0) (i32.const 0) (i32.const 0)))
             (call $finish (i32.const 64) (i32.const 1))",
        );
        let mut state = state_with(&[(CONTRACT, caller), (OTHER, callee)]);
        let before = state.accounts().clone();
        let result = call(&mut state, CONTRACT, &[]);
        assert_eq!(result.output, [1], "{name}");
        // callStatic 700 + the 50000 given to the failing callee.
        assert_eq!(GAS - result.gas_left, 50_700, "{name}");
        assert_eq!(state.accounts(), &before, "{name}");
    }
}

#[test]
fn static_frames_allow_reads_and_callcode_with_value() {
    let code = module(
        r#"(import "ethereum" "storageLoad" (func $load (param i32 i32)))
           (import "ethereum" "callCode" (func $cc (param i64 i32 i32 i32 i32) (result i32)))
           (import "ethereum" "finish" (func $finish (param i32 i32)))"#,
        r#"(data (i32.const 32) "\01")"#,
        "(call $load (i32.const 0) (i32.const 64))
         (i32.store8 (i32.const 96) (call $cc (i64.const 0) (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0)))
         (call $finish (i32.const 96) (i32.const 1))",
    );
    let mut state = state_with(&[(CONTRACT, code)]);
    state.set_balance(CONTRACT, U256::from(5));
    let mut msg = Message::call(SENDER, CONTRACT, vec![], GAS);
    msg.is_static = true;
    // storageLoad 200 + callCode 700 + 9000 (value); the code-less callee returns all gas,
    // including the 2300 stipend.
    assert_success(&run(&mut state, &msg), 9_900 - 2_300, &[0]);
}

// ----- Every EEI function -----

/// A contract that calls `name` with the given body and returns `out_len` bytes of memory at 0.
fn probe(imports: &str, body: &str, out_len: u32) -> Vec<u8> {
    module(
        &format!(r#"{imports} (import "ethereum" "finish" (func $finish (param i32 i32)))"#),
        r#"(data (i32.const 500) "\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1")"#,
        &format!("{body} (call $finish (i32.const 0) (i32.const {out_len}))"),
    )
}

/// Function, signature, body, output length, expected output, gas.
type GetterCase = (&'static str, &'static str, &'static str, u32, Vec<u8>, i64);

#[test]
fn getters_write_the_eei_encodings() {
    let ctx = env().tx;
    let le128 = |v: U256| v.to_little_endian()[..16].to_vec();
    let msg_value =
        Message::call(SENDER, CONTRACT, vec![9; 40], GAS).with_value(U256::from(0x0102));
    let cases: Vec<GetterCase> = vec![
        (
            "getAddress",
            "(param i32)",
            "(call $f (i32.const 0))",
            20,
            CONTRACT.as_bytes().to_vec(),
            2,
        ),
        (
            "getCaller",
            "(param i32)",
            "(call $f (i32.const 0))",
            20,
            SENDER.as_bytes().to_vec(),
            2,
        ),
        (
            "getCallValue",
            "(param i32)",
            "(call $f (i32.const 0))",
            16,
            le128(U256::from(0x0102)),
            2,
        ),
        (
            "getTxOrigin",
            "(param i32)",
            "(call $f (i32.const 0))",
            20,
            ORIGIN.as_bytes().to_vec(),
            2,
        ),
        (
            "getBlockCoinbase",
            "(param i32)",
            "(call $f (i32.const 0))",
            20,
            ctx.coinbase.as_bytes().to_vec(),
            2,
        ),
        (
            "getTxGasPrice",
            "(param i32)",
            "(call $f (i32.const 0))",
            16,
            le128(ctx.gas_price),
            2,
        ),
        (
            "getBlockDifficulty",
            "(param i32)",
            "(call $f (i32.const 0))",
            32,
            ctx.difficulty.to_little_endian().to_vec(),
            2,
        ),
        (
            "getCallDataSize",
            "(result i32)",
            "(i32.store (i32.const 0) (call $f))",
            4,
            40u32.to_le_bytes().to_vec(),
            2,
        ),
        (
            "getBlockGasLimit",
            "(result i64)",
            "(i64.store (i32.const 0) (call $f))",
            8,
            8_000_000u64.to_le_bytes().to_vec(),
            2,
        ),
        (
            "getBlockNumber",
            "(result i64)",
            "(i64.store (i32.const 0) (call $f))",
            8,
            300u64.to_le_bytes().to_vec(),
            2,
        ),
        (
            "getBlockTimestamp",
            "(result i64)",
            "(i64.store (i32.const 0) (call $f))",
            8,
            1000u64.to_le_bytes().to_vec(),
            2,
        ),
        (
            "getGasLeft",
            "(result i64)",
            "(i64.store (i32.const 0) (call $f))",
            8,
            (GAS as u64 - 2).to_le_bytes().to_vec(),
            2,
        ),
        (
            "getReturnDataSize",
            "(result i32)",
            "(i32.store (i32.const 0) (call $f))",
            4,
            vec![0; 4],
            2,
        ),
        (
            "callDataCopy",
            "(param i32 i32 i32)",
            "(call $f (i32.const 0) (i32.const 38) (i32.const 2))",
            2,
            vec![9, 9],
            6,
        ),
        (
            "getExternalBalance",
            "(param i32 i32)",
            "(call $f (i32.const 500) (i32.const 0))",
            16,
            le128(U256::from(12345)),
            400,
        ),
        (
            "getExternalCodeSize",
            "(param i32) (result i32)",
            "(i32.store (i32.const 0) (call $f (i32.const 500)))",
            4,
            3u32.to_le_bytes().to_vec(),
            700,
        ),
        (
            "externalCodeCopy",
            "(param i32 i32 i32 i32)",
            "(call $f (i32.const 500) (i32.const 0) (i32.const 1) (i32.const 2))",
            2,
            vec![0xbb, 0xcc],
            703,
        ),
        (
            "getBlockHash",
            "(param i64 i32) (result i32)",
            "(i32.store8 (i32.const 32) (call $f (i64.const 299) (i32.const 0)))",
            33,
            [vec![0x99; 32], vec![0]].concat(),
            800,
        ),
        (
            "useGas",
            "(param i64)",
            "(call $f (i64.const 12345))",
            0,
            vec![],
            12_345,
        ),
    ];
    for (name, sig, body, out_len, expected, cost) in cases {
        let code = probe(
            &format!(r#"(import "ethereum" "{name}" (func $f {sig}))"#),
            body,
            out_len,
        );
        let mut state = state_with(&[(CONTRACT, code)]);
        state.insert_account(
            OTHER,
            Account {
                code: vec![0xaa, 0xbb, 0xcc].into(),
                balance: U256::from(12345),
                ..Account::default()
            },
        );
        let result = run(&mut state, &msg_value);
        assert_eq!(result.output, expected, "{name}");
        assert_success(&result, cost, &expected);
    }
}

#[test]
fn code_copy_and_size_see_the_stored_code() {
    let code = probe(
        r#"(import "ethereum" "getCodeSize" (func $size (result i32)))
           (import "ethereum" "codeCopy" (func $copy (param i32 i32 i32)))"#,
        "(i32.store (i32.const 0) (call $size)) (call $copy (i32.const 4) (i32.const 0) (i32.const 8))",
        12,
    );
    let expected = [
        (code.len() as u32).to_le_bytes().to_vec(),
        code[..8].to_vec(),
    ]
    .concat();
    // getCodeSize 2 + codeCopy 3 + 3.
    assert_success(&run_code(code, &[]), 8, &expected);
}

#[test]
fn unknown_block_hash_returns_one_and_leaves_memory() {
    let code = probe(
        r#"(import "ethereum" "getBlockHash" (func $f (param i64 i32) (result i32)))"#,
        "(i32.store8 (i32.const 0) (call $f (i64.const 5) (i32.const 70000)))",
        1,
    );
    assert_success(&run_code(code, &[]), 800, &[1]);
}

#[test]
fn storage_load_store_and_refund() {
    let code = probe(
        r#"(import "ethereum" "storageStore" (func $store (param i32 i32)))
           (import "ethereum" "storageLoad" (func $load (param i32 i32)))"#,
        "(call $load (i32.const 100) (i32.const 0)) (call $store (i32.const 100) (i32.const 200))",
        32,
    );
    let mut state = state_with(&[(CONTRACT, code)]);
    state.set_storage(CONTRACT, H256::zero(), H256::repeat_byte(7));
    let result = call(&mut state, CONTRACT, &[]);
    // storageLoad 200 + storageStore 5000 (non-zero to zero: no extra).
    assert_success(&result, 5_200, &[7; 32]);
    assert_eq!(state.storage(CONTRACT, H256::zero()), H256::zero());
    assert_eq!(state.refund(), gas::STORAGE_CLEAR_REFUND);
}

#[test]
fn return_data_of_the_last_call() {
    let code = probe(
        r#"(import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))
           (import "ethereum" "getReturnDataSize" (func $size (result i32)))
           (import "ethereum" "returnDataCopy" (func $copy (param i32 i32 i32)))"#,
        "(drop (call $call (i64.const 100000) (i32.const 500) (i32.const 600) (i32.const 0) (i32.const 0)))
         (i32.store8 (i32.const 0) (call $size))
         (call $copy (i32.const 1) (i32.const 31) (i32.const 1))",
        2,
    );
    let mut state = state_with(&[(CONTRACT, code), (OTHER, example("counter"))]);
    // call 700 + counter 20200 + getReturnDataSize 2 + returnDataCopy 6.
    assert_success(&call(&mut state, CONTRACT, &[]), 20_908, &[32, 0]);
}

#[test]
fn call_delegate_and_call_code_use_the_callers_storage() {
    for (name, sig, args) in [
        (
            "callDelegate",
            "(param i64 i32 i32 i32) (result i32)",
            "(i64.const 100000) (i32.const 500) (i32.const 0) (i32.const 0)",
        ),
        (
            "callCode",
            "(param i64 i32 i32 i32 i32) (result i32)",
            "(i64.const 100000) (i32.const 500) (i32.const 600) (i32.const 0) (i32.const 0)",
        ),
    ] {
        let code = probe(
            &format!(r#"(import "ethereum" "{name}" (func $f {sig}))"#),
            &format!("(i32.store8 (i32.const 0) (call $f {args}))"),
            1,
        );
        let mut state = state_with(&[(CONTRACT, code), (OTHER, example("counter"))]);
        // 700 + the counter's 20200, run on CONTRACT's storage.
        assert_success(&call(&mut state, CONTRACT, &[]), 20_900, &[0]);
        assert_eq!(state.storage(CONTRACT, H256::zero()), le_word(1), "{name}");
        assert_eq!(state.storage(OTHER, H256::zero()), H256::zero(), "{name}");
    }
}

#[test]
fn call_delegate_keeps_sender_and_value() {
    let callee = probe(
        r#"(import "ethereum" "getCaller" (func $caller (param i32)))
           (import "ethereum" "getCallValue" (func $value (param i32)))"#,
        "(call $caller (i32.const 0)) (call $value (i32.const 20))",
        36,
    );
    let code = probe(
        r#"(import "ethereum" "callDelegate" (func $f (param i64 i32 i32 i32) (result i32)))
           (import "ethereum" "returnDataCopy" (func $copy (param i32 i32 i32)))"#,
        "(drop (call $f (i64.const 100000) (i32.const 500) (i32.const 0) (i32.const 0)))
         (call $copy (i32.const 0) (i32.const 0) (i32.const 36))",
        36,
    );
    let mut state = state_with(&[(CONTRACT, code), (OTHER, callee)]);
    let msg = Message::call(SENDER, CONTRACT, vec![], GAS).with_value(U256::from(3));
    let expected = [SENDER.as_bytes(), &U256::from(3).to_little_endian()[..16]].concat();
    // callDelegate 700 (no stipend: no value moves) + callee getCaller 2 + getCallValue 2
    // + returnDataCopy 3 + 6.
    assert_success(&run(&mut state, &msg), 713, &expected);
}

#[test]
fn self_destruct_moves_balance_and_ends_as_success() {
    let code = module(
        r#"(import "ethereum" "selfDestruct" (func $sd (param i32)))"#,
        r#"(data (i32.const 0) "\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1")"#,
        "(call $sd (i32.const 0)) (unreachable)",
    );
    let mut state = state_with(&[(CONTRACT, code)]);
    state.set_balance(CONTRACT, U256::from(500));
    // 5000 + 25000 (beneficiary OTHER does not exist).
    assert_success(&call(&mut state, CONTRACT, &[]), 30_000, &[]);
    assert_eq!(state.balance(OTHER), U256::from(500));
    assert_eq!(state.balance(CONTRACT), U256::zero());
    assert!(state.is_selfdestructed(CONTRACT));
    assert_eq!(state.refund(), gas::SELFDESTRUCT_REFUND);
}

#[test]
fn debug_module_only_when_granted() {
    let code = module(
        r#"(import "debug" "print32" (func $p32 (param i32)))
           (import "debug" "print64" (func $p64 (param i64)))
           (import "debug" "printMem" (func $pm (param i32 i32)))
           (import "debug" "printMemHex" (func $pmh (param i32 i32)))
           (import "debug" "printStorage" (func $ps (param i32)))
           (import "debug" "printStorageHex" (func $psh (param i32)))"#,
        r#"(data (i32.const 32) "hi")"#,
        "(call $p32 (i32.const 42)) (call $p64 (i64.const -1))
         (call $pm (i32.const 32) (i32.const 2)) (call $pmh (i32.const 32) (i32.const 2))
         (call $ps (i32.const 0)) (call $psh (i32.const 0))",
    );
    let mut state = state_with(&[(CONTRACT, code.clone())]);
    state.set_storage(CONTRACT, H256::zero(), H256::from_low_u64_be(0x41));
    let result = call(&mut state, CONTRACT, &[]);
    assert_failure(
        &result,
        Failure::InvalidContract(ContractError::ImportNamespace {
            module: "debug".into(),
            field: "print32".into(),
            offset: 0x1e,
        }),
    );
    let vm = Vm::new(Settings {
        debug: DebugOutput::Capture,
        ..Settings::default()
    });
    let result = execute_message(
        &vm,
        &mut state,
        &env(),
        &Message::call(SENDER, CONTRACT, vec![], GAS),
    );
    assert_success(&result, 0, &[]);
    let stored = format!("0x{}41", "00".repeat(31));
    assert_eq!(
        vm.take_debug_output(),
        [
            "print32: 42 0x2a".to_string(),
            format!("print64: {} {:#x}", u64::MAX, u64::MAX),
            "printMem: hi".to_string(),
            "printMemHex: 0x6869".to_string(),
            format!("printStorage: {}A", "\0".repeat(31)),
            format!("printStorageHex: {stored}"),
        ]
    );
}

// ----- Validation -----

#[test]
fn each_contract_rule_has_its_own_error() {
    let vm = Vm::new(Settings::default());
    let main = r#"(func (export "main"))"#;
    let mem = r#"(memory 1) (export "memory" (memory 0))"#;
    let check = |code: Vec<u8>| vm.validate(&code).map_err(|e| std::mem::discriminant(&e));
    let d = |e: ContractError| Err(std::mem::discriminant(&e));
    let cases: Vec<(Vec<u8>, Result<(), _>)> = vec![
        (wat(&format!("(module {mem} {main})")), Ok(())),
        (vec![0x60, 0x60, 0x60], d(ContractError::NotWasm)),
        (b"\0asm".to_vec(), d(ContractError::NotWasm)),
        (
            b"\0asm\x02\0\0\0".to_vec(),
            d(ContractError::BadVersion([2, 0, 0, 0])),
        ),
        (
            b"\0asm\x01\0\0\0\x01".to_vec(),
            d(ContractError::Invalid {
                message: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(
                r#"(module (import "env" "f" (func)) {mem} {main})"#
            )),
            d(ContractError::ImportNamespace {
                module: String::new(),
                field: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(
                r#"(module (import "ethereum" "nope" (func)) {mem} {main})"#
            )),
            d(ContractError::UnknownImport {
                module: String::new(),
                field: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(
                r#"(module (import "ethereum" "useGas" (func (param i32))) {mem} {main})"#
            )),
            d(ContractError::ImportSignature {
                module: String::new(),
                field: String::new(),
                expected: String::new(),
                found: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(
                r#"(module (import "ethereum" "mem" (memory 1)) (export "memory" (memory 0)) {main})"#
            )),
            d(ContractError::NonFunctionImport {
                module: String::new(),
                field: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(r#"(module {mem} {main} (func $s) (start $s))"#)),
            d(ContractError::StartFunction { offset: 0 }),
        ),
        (
            wat(&format!("(module {mem})")),
            d(ContractError::MissingMain),
        ),
        (
            wat(&format!(
                r#"(module {mem} (global (export "main") i32 (i32.const 0)))"#
            )),
            d(ContractError::MainNotFunction),
        ),
        (
            wat(&format!(
                r#"(module {mem} (func (export "main") (param i32)))"#
            )),
            d(ContractError::MainSignature {
                found: String::new(),
            }),
        ),
        (
            wat(&format!("(module (memory 1) {main})")),
            d(ContractError::MissingMemory),
        ),
        (
            wat(&format!(
                r#"(module (table 1 funcref) (export "memory" (table 0)) {main})"#
            )),
            d(ContractError::MemoryNotMemory),
        ),
        (
            wat(&format!(r#"(module {mem} {main} (func (export "other")))"#)),
            d(ContractError::ExtraExport {
                name: String::new(),
                offset: 0,
            }),
        ),
        (
            wat(&format!(
                r#"(module {mem} (func (export "main") i32.const 0))"#
            )),
            d(ContractError::Invalid {
                message: String::new(),
                offset: 0,
            }),
        ),
    ];
    for (i, (code, expected)) in cases.into_iter().enumerate() {
        assert_eq!(check(code), expected, "case {i}");
    }
}

#[test]
fn every_eei_import_links_with_its_exact_signature() {
    use ewvm::ewasm::validate::{DEBUG_FUNCTIONS, EEI_FUNCTIONS};
    let imports: String = [
        ("ethereum", &EEI_FUNCTIONS[..]),
        ("debug", &DEBUG_FUNCTIONS[..]),
    ]
    .iter()
    .flat_map(|(module, table)| {
        table.iter().map(move |(name, params, results)| {
            let list = |ts: &[wasmparser::ValType]| {
                ts.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            format!(
                r#"(import "{module}" "{name}" (func (param {}) (result {})))"#,
                list(params),
                list(results)
            )
        })
    })
    .collect();
    let code = module(&imports, "", "");
    let vm = Vm::new(Settings {
        debug: DebugOutput::Capture,
        ..Settings::default()
    });
    let mut state = state_with(&[(CONTRACT, code)]);
    let result = execute_message(
        &vm,
        &mut state,
        &env(),
        &Message::call(SENDER, CONTRACT, vec![], GAS),
    );
    assert_success(&result, 0, &[]);
    assert_eq!(EEI_FUNCTIONS.len(), 33);
}

#[test]
fn invalid_code_in_state_fails_with_all_gas() {
    let code = wat(
        r#"(module (import "ethereum" "useGas" (func (param i32))) (memory 1) (export "memory" (memory 0)) (func (export "main")))"#,
    );
    let result = run_code(code, &[]);
    assert!(matches!(
        result.failure_kind(),
        Some(Failure::InvalidContract(
            ContractError::ImportSignature { .. }
        ))
    ));
    assert_eq!(result.gas_left, 0);
    assert_eq!(result.status_code(), 13);
}

#[test]
fn injected_metering_charges_instructions_and_meters_deployed_code() {
    let vm = Vm::new(Settings {
        metering: Metering::Injected,
        ..Settings::default()
    });
    let mut state = state_with(&[(CONTRACT, example("counter"))]);
    let msg = Message::call(SENDER, CONTRACT, vec![], GAS);
    let first = execute_message(&vm, &mut state, &env(), &msg);
    let second = execute_message(&vm, &mut state, &env(), &msg);
    assert!(first.is_success() && second.is_success());
    // The same instructions run both times; only the EEI costs differ (20200 vs 5200).
    let instructions = GAS - first.gas_left - 20_200;
    assert!(instructions > 0);
    assert_eq!(GAS - second.gas_left - 5_200, instructions);
    assert_eq!(
        state.code(CONTRACT).bytes(),
        &example("counter")[..],
        "pre-state code unchanged"
    );

    let runtime = example("counter");
    let result = execute_message(
        &vm,
        &mut state,
        &env(),
        &Message::create(SENDER, constructor(&runtime), GAS),
    );
    let deployed = state.code(result.create_address.expect("created"));
    assert!(deployed.len() > runtime.len(), "deployed code is metered");
    assert!(ewvm::metering::recognize(&deployed)
        .unwrap()
        .use_gas
        .is_some());
    let floats = module("", "", "(drop (f32.add (f32.const 1) (f32.const 2)))");
    assert!(matches!(
        vm.validate(&floats),
        Err(ContractError::Metering(_))
    ));
    assert_eq!(Vm::new(Settings::default()).validate(&floats), Ok(()));
}

// ----- Bad inputs: failures, never panics -----

#[test]
fn bad_arguments_fail_the_frame() {
    let imports = r#"
        (import "ethereum" "storageStore" (func $store (param i32 i32)))
        (import "ethereum" "storageLoad" (func $load (param i32 i32)))
        (import "ethereum" "callDataCopy" (func $cdc (param i32 i32 i32)))
        (import "ethereum" "returnDataCopy" (func $rdc (param i32 i32 i32)))
        (import "ethereum" "codeCopy" (func $cc (param i32 i32 i32)))
        (import "ethereum" "externalCodeCopy" (func $ecc (param i32 i32 i32 i32)))
        (import "ethereum" "finish" (func $finish (param i32 i32)))
        (import "ethereum" "revert" (func $revert (param i32 i32)))
        (import "ethereum" "log" (func $log (param i32 i32 i32 i32 i32 i32 i32)))
        (import "ethereum" "useGas" (func $use (param i64)))
        (import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))
        (import "ethereum" "create" (func $create (param i32 i32 i32 i32) (result i32)))
        (import "ethereum" "getAddress" (func $addr (param i32)))
        (import "ethereum" "getBlockHash" (func $bh (param i64 i32) (result i32)))"#;
    let cases = [
        ("(call $store (i32.const 65535) (i32.const 0))", Failure::InvalidMemoryAccess),
        ("(call $load (i32.const 0) (i32.const -1))", Failure::InvalidMemoryAccess),
        ("(call $cdc (i32.const 0) (i32.const 0) (i32.const 5))", Failure::InvalidMemoryAccess),
        ("(call $cdc (i32.const 0) (i32.const -1) (i32.const 1))", Failure::InvalidMemoryAccess),
        ("(call $cdc (i32.const 0) (i32.const 0) (i32.const -1))", Failure::OutOfGas),
        ("(call $rdc (i32.const 0) (i32.const 0) (i32.const 1))", Failure::InvalidMemoryAccess),
        ("(call $cc (i32.const 65536) (i32.const 0) (i32.const 1))", Failure::InvalidMemoryAccess),
        ("(call $ecc (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1))", Failure::OutOfGas),
        ("(call $ecc (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100))", Failure::InvalidMemoryAccess),
        ("(call $finish (i32.const 1) (i32.const -1))", Failure::InvalidMemoryAccess),
        ("(call $revert (i32.const -1) (i32.const 2))", Failure::InvalidMemoryAccess),
        ("(call $log (i32.const 0) (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))", Failure::TooManyTopics(5)),
        ("(call $log (i32.const 0) (i32.const 0) (i32.const 1) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 0))", Failure::InvalidMemoryAccess),
        ("(call $log (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))", Failure::OutOfGas),
        ("(call $use (i64.const -1))", Failure::ArgumentOutOfRange),
        ("(call $use (i64.const 1000001))", Failure::OutOfGas),
        ("(drop (call $call (i64.const -1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))", Failure::ArgumentOutOfRange),
        ("(drop (call $call (i64.const 0) (i32.const 65530) (i32.const 0) (i32.const 0) (i32.const 0)))", Failure::InvalidMemoryAccess),
        ("(drop (call $call (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1)))", Failure::InvalidMemoryAccess),
        ("(drop (call $create (i32.const 0) (i32.const 10) (i32.const -1) (i32.const 0)))", Failure::InvalidMemoryAccess),
        ("(call $addr (i32.const 65520))", Failure::InvalidMemoryAccess),
        ("(drop (call $bh (i64.const 299) (i32.const 65535)))", Failure::InvalidMemoryAccess),
        ("(i32.store (i32.const 65536) (i32.const 0))", Failure::Trap(TrapCode::MemoryOutOfBounds)),
        ("(drop (i32.div_u (i32.const 1) (i32.const 0)))", Failure::Trap(TrapCode::IntegerDivideByZero)),
    ];
    for (body, failure) in cases {
        let code = module(imports, "", body);
        let mut state = state_with(&[(CONTRACT, code)]);
        let before = state.accounts().clone();
        let result = call(&mut state, CONTRACT, &[1, 2, 3, 4]);
        assert_eq!(result.status, Status::Failure(failure), "{body}");
        assert_eq!(result.gas_left, 0, "{body}");
        assert_eq!(state.accounts(), &before, "{body}");
    }
}

#[test]
fn out_of_gas_and_hera_status_codes() {
    let code = example("counter");
    let mut state = state_with(&[(CONTRACT, code)]);
    let result = run(&mut state, &Message::call(SENDER, CONTRACT, vec![], 20_199));
    assert_failure(&result, Failure::OutOfGas);
    assert_eq!(result.status_code(), 3);
    assert_eq!(state.storage(CONTRACT, H256::zero()), H256::zero());
    let result = run(&mut state, &Message::call(SENDER, CONTRACT, vec![], -5));
    assert_failure(&result, Failure::OutOfGas);
}

#[test]
fn message_past_depth_limit_fails() {
    let mut state = state_with(&[(CONTRACT, example("counter"))]);
    let mut msg = Message::call(SENDER, CONTRACT, vec![], GAS);
    msg.depth = 1025;
    assert_failure(&run(&mut state, &msg), Failure::CallDepthExceeded);
}

#[test]
fn malformed_modules_fail_without_panicking() {
    let vm = Vm::new(Settings::default());
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0asm\x01\0\0\0".to_vec(),
        b"\0asm\x01\0\0\0\x05\xff\xff\xff\xff\x0f".to_vec(),
    ];
    let counter = example("counter");
    inputs.extend((0..counter.len()).map(|n| counter[..n].to_vec()));
    inputs.extend((8..counter.len()).map(|i| {
        let mut c = counter.clone();
        c[i] ^= 0xff;
        c
    }));
    for code in inputs {
        let mut state = state_with(&[(CONTRACT, code.clone())]);
        let result = execute_message(
            &vm,
            &mut state,
            &env(),
            &Message::call(SENDER, CONTRACT, vec![], GAS),
        );
        if !result.is_success() {
            assert_eq!(result.gas_left, 0);
        }
        let _ = keccak256(&code);
    }
}
