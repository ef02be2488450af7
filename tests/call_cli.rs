//! `ewvm call` and `ewvm create` on the example contracts of `contracts/`: every run goes
//! through the CLI and through the library API (`parse_pre_state` + `execute_message`), and
//! both must agree on status, output, gas, logs and the state after.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use ewvm::ewasm::{execute_message, Env, Message, Metering, Settings, TxContext, Vm};
use ewvm::state::{create_address, keccak256};
use ewvm::statetest::{dump_pre, parse_pre_state};
use primitive_types::{H160, U256};
use serde_json::{json, Value};

const SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";
const COUNTER: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const TOKEN: &str = "0x7070707070707070707070707070707070707070";
const FORWARDER: &str = "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
const FACTORY: &str = "0xfafafafafafafafafafafafafafafafafafafafa";
const REVERTER: &str = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const ADDER: &str = "0xadadadadadadadadadadadadadadadadadadadad";
const RECIPIENT: &str = "0x1111111111111111111111111111111111111111";
const GAS: i64 = 1_000_000;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The WAT source of `contracts/NAME.wat`.
fn wat_source(name: &str) -> String {
    std::fs::read_to_string(manifest_dir().join("contracts").join(format!("{name}.wat"))).unwrap()
}

/// The binary of `contracts/NAME.wat`.
fn wasm(name: &str) -> Vec<u8> {
    wat::parse_str(wat_source(name)).unwrap()
}

/// The C contract's committed binary.
fn adder_wasm() -> Vec<u8> {
    std::fs::read(manifest_dir().join("contracts/c/adder.wasm")).unwrap()
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn address(text: &str) -> H160 {
    text.parse().unwrap()
}

/// An account of a state file.
fn account(balance: u64, nonce: u64, code: &str, storage: Value) -> Value {
    json!({"balance": balance.to_string(), "nonce": nonce.to_string(), "code": code, "storage": storage})
}

/// A contract account holding the WAT source of `contracts/NAME.wat` as its code.
fn contract(name: &str, storage: Value) -> Value {
    account(0, 1, &wat_source(name), storage)
}

/// A 32-byte slot value holding `n` as u64 little-endian in its first 8 bytes, as a quantity
/// in the dump format (minimal `0x` hex).
fn slot_le(n: u64) -> String {
    let mut word = [0u8; 32];
    word[..8].copy_from_slice(&n.to_le_bytes());
    format!("{:#x}", U256::from_big_endian(&word))
}

/// The same slot value as raw 32 bytes.
fn slot_le_bytes(n: u64) -> Vec<u8> {
    let mut word = vec![0u8; 32];
    word[..8].copy_from_slice(&n.to_le_bytes());
    word
}

/// An address as a storage key / topic: 12 zero bytes then the address.
fn padded(text: &str) -> Vec<u8> {
    let mut word = vec![0u8; 12];
    word.extend_from_slice(address(text).as_bytes());
    word
}

/// The storage key of an address, in the dump format.
fn padded_key(text: &str) -> String {
    format!("{:#x}", U256::from_big_endian(&padded(text)))
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    // Tests run in parallel and may write equal contents: each file gets a name of its own, so
    // that no test's CLI reads a file that another test is rewriting.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("ewvm-call-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", NEXT.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, contents).unwrap();
    path
}

fn ewvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ewvm"))
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `ewvm SUBCOMMAND --state STATE --dump --metering off --gas GAS EXTRA...`; expects exit 0.
fn cli(subcommand: &str, state: &Value, extra: &[&str]) -> Value {
    let path = temp_file(
        &format!("{}.json", keccak256(state.to_string())),
        state.to_string().as_bytes(),
    );
    let gas = GAS.to_string();
    let mut args = vec![subcommand, "--state", path.to_str().unwrap(), "--dump"];
    args.extend(["--metering", "off", "--gas", &gas]);
    args.extend(extra);
    let out = ewvm(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `message` on `state` through the library (metering off) and checks that the CLI
/// `report` says the same; returns the report.
fn agree(state: &Value, message: Message, report: Value) -> Value {
    let mut world = parse_pre_state(&state.to_string()).unwrap();
    let vm = Vm::new(Settings {
        metering: Metering::Off,
        ..Settings::default()
    });
    let env = Env {
        tx: TxContext {
            origin: message.sender,
            gas_limit: message.gas,
            chain_id: U256::one(),
            ..TxContext::default()
        },
        ..Env::default()
    };
    let result = execute_message(&vm, &mut world, &env, &message);
    assert_eq!(report["gasLeft"], json!(result.gas_left), "{report}");
    assert_eq!(report["gasUsed"], json!(GAS - result.gas_left), "{report}");
    assert_eq!(report["output"], json!(hex0x(&result.output)), "{report}");
    assert_eq!(report["state"], dump_pre(&world), "{report}");
    assert_eq!(report["logs"].as_array().unwrap().len(), world.logs().len());
    let created = result.create_address.map(|a| format!("{a:?}"));
    assert_eq!(
        report.get("createdAddress").and_then(Value::as_str),
        created.as_deref()
    );
    report
}

/// `ewvm call --to TO --input INPUT`, checked against the library.
fn call(state: &Value, to: &str, input: &[u8]) -> Value {
    let report = cli("call", state, &["--to", to, "--input", &hex0x(input)]);
    agree(
        state,
        Message::call(address(SENDER), address(to), input.to_vec(), GAS),
        report,
    )
}

/// The state as `--dump` prints it, for a state file.
fn dumped(state: &Value) -> Value {
    dump_pre(&parse_pre_state(&state.to_string()).unwrap())
}

/// Init code that deploys `runtime`.
fn constructor(runtime: &[u8]) -> String {
    let escaped: String = runtime.iter().map(|b| format!("\\{b:02x}")).collect();
    format!(
        r#"(module (import "ethereum" "finish" (func $finish (param i32 i32)))
           (memory 1) (export "memory" (memory 0)) (data (i32.const 0) "{escaped}")
           (func (export "main") (call $finish (i32.const 0) (i32.const {}))))"#,
        runtime.len()
    )
}

#[test]
fn counter_increments_its_slot() {
    let state = json!({ COUNTER: contract("counter", json!({"0x00": slot_le(5)})) });
    let report = call(&state, COUNTER, &[]);
    assert_eq!(report["status"], "success");
    assert!(report.get("error").is_none());
    assert_eq!(report["gasUsed"], 200 + 5000);
    assert_eq!(report["output"], hex0x(&slot_le_bytes(6)));
    assert_eq!(
        report["state"][COUNTER]["storage"],
        json!({"0x0": slot_le(6)})
    );
    assert_eq!(report["logs"], json!([]));
    // Default metering (`injected`): the instructions cost gas too.
    let path = temp_file("counter-injected.json", state.to_string().as_bytes());
    let out = ewvm(&["call", "--state", path.to_str().unwrap(), "--to", COUNTER]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "success", "{report}");
    assert!(report["gasUsed"].as_i64().unwrap() > 5200, "{report}");
    assert_eq!(
        report["gasUsed"].as_i64().unwrap() + report["gasLeft"].as_i64().unwrap(),
        10_000_000
    );
}

/// `transfer(to, amount)` calldata.
fn transfer(to: &str, amount: u64) -> Vec<u8> {
    let mut data = address(to).as_bytes().to_vec();
    data.extend_from_slice(&amount.to_le_bytes());
    data
}

#[test]
fn token_transfer_moves_balances_and_logs() {
    let state = json!({ TOKEN: contract("token", json!({ padded_key(SENDER): slot_le(100) })) });
    let report = call(&state, TOKEN, &transfer(RECIPIENT, 30));
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(
        report["gasUsed"],
        2 + 6 + 6 + 2 + 200 + 5000 + 200 + 20000 + 375 + 3 * 375 + 8 * 32
    );
    assert_eq!(report["output"], "0x");
    let topic = keccak256("Transfer(address,address,uint256)");
    assert_eq!(
        report["logs"],
        json!([{
            "address": TOKEN,
            "topics": [format!("{topic:?}"), hex0x(&padded(SENDER)), hex0x(&padded(RECIPIENT))],
            "data": hex0x(&slot_le_bytes(30)),
        }])
    );
    let storage = json!({ padded_key(SENDER): slot_le(70), padded_key(RECIPIENT): slot_le(30) });
    assert_eq!(report["state"][TOKEN]["storage"], storage);
    // The dump is a valid state file: a second transfer to an existing holder, then balanceOf.
    let after = report["state"].clone();
    let again = call(&after, TOKEN, &transfer(RECIPIENT, 70));
    assert_eq!(
        again["gasUsed"],
        2 + 6 + 6 + 2 + 200 + 5000 + 200 + 5000 + 1756
    );
    let balance = call(&again["state"], TOKEN, address(RECIPIENT).as_bytes());
    assert_eq!(balance["output"], hex0x(&slot_le_bytes(100)));
    assert_eq!(balance["gasUsed"], 208);
}

#[test]
fn token_transfer_beyond_the_balance_reverts_and_changes_nothing() {
    let state = json!({ TOKEN: contract("token", json!({ padded_key(SENDER): slot_le(100) })) });
    let report = call(&state, TOKEN, &transfer(RECIPIENT, 101));
    assert_eq!(report["status"], "revert");
    assert_eq!(report["error"], "execution reverted");
    assert_eq!(report["output"], hex0x(b"insufficient"));
    assert_eq!(report["gasUsed"], 216);
    assert_eq!(report["logs"], json!([]));
    assert_eq!(report["state"], dumped(&state));
}

#[test]
fn forwarder_returns_the_callees_return_data() {
    let state = json!({
        FORWARDER: contract("forwarder", json!({})),
        COUNTER: contract("counter", json!({})),
    });
    let report = call(&state, FORWARDER, address(COUNTER).as_bytes());
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(report["output"], hex0x(&slot_le_bytes(1)));
    // forwarder: 2 + 6 + 3 + 2 + 2 + call 700 + getReturnDataSize 2 + returnDataCopy 6;
    // counter: 200 + 20000.
    assert_eq!(report["gasUsed"], 2 + 6 + 3 + 2 + 2 + 700 + 2 + 6 + 20200);
    assert_eq!(
        report["state"][COUNTER]["storage"],
        json!({"0x0": slot_le(1)})
    );
}

#[test]
fn factory_deploys_a_child_and_create_deploys_from_a_file() {
    let counter = wasm("counter");
    let init = wat::parse_str(constructor(&counter)).unwrap();
    let state = json!({ FACTORY: contract("factory", json!({})) });
    let report = call(&state, FACTORY, &init);
    assert_eq!(report["status"], "success", "{report}");
    let child = create_address(address(FACTORY), 1);
    assert_eq!(report["output"], hex0x(child.as_bytes()));
    let child_key = format!("{child:?}");
    assert_eq!(report["state"][&child_key]["code"], hex0x(&counter));
    assert_eq!(report["state"][FACTORY]["nonce"], "0x2");

    // `ewvm create`: the sender's nonce is bumped, the address derives from it.
    let state = json!({ SENDER: account(0, 7, "", json!({})) });
    let file = temp_file("constructor.wat", constructor(&counter).as_bytes());
    let report = cli("create", &state, &["--code", file.to_str().unwrap()]);
    let report = agree(&state, Message::create(address(SENDER), init, GAS), report);
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(report["gasUsed"], 200 * counter.len() as u64);
    let created = format!("{:?}", create_address(address(SENDER), 7));
    assert_eq!(report["createdAddress"], json!(created));
    assert_eq!(report["state"][SENDER]["nonce"], "0x8");
    assert_eq!(report["state"][&created]["code"], hex0x(&counter));
}

#[test]
fn reverter_reverts_with_its_data_and_keeps_the_state() {
    let state = json!({ REVERTER: contract("reverter", json!({})) });
    let report = call(&state, REVERTER, &[]);
    assert_eq!(report["status"], "revert");
    assert_eq!(report["output"], hex0x(b"reverted"));
    assert_eq!(report["gasUsed"], 20000);
    assert_eq!(report["state"], dumped(&state));
}

#[test]
fn c_contract_adds_its_calldata_to_storage() {
    let code = adder_wasm();
    assert_eq!(Vm::new(Settings::default()).validate(&code), Ok(()));
    let state = json!({ ADDER: account(0, 1, &hex0x(&code), json!({"0x00": slot_le(10)})) });
    let input: Vec<u8> = [1u64, 2, 3].iter().flat_map(|n| n.to_le_bytes()).collect();
    let report = call(&state, ADDER, &input);
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(report["output"], hex0x(&slot_le_bytes(16)));
    assert_eq!(report["gasUsed"], 2 + 3 + 3 + 200 + 5000);
    assert_eq!(
        report["state"][ADDER]["storage"],
        json!({"0x0": slot_le(16)})
    );
    let report = call(&state, ADDER, &[1, 2, 3]);
    assert_eq!(report["status"], "revert");
    assert_eq!(report["state"], dumped(&state));
}

#[test]
fn a_failed_call_consumes_all_gas_and_leaves_the_state_as_it_was() {
    let state = json!({ COUNTER: contract("counter", json!({"0x00": slot_le(5)})) });
    let path = temp_file("oog.json", state.to_string().as_bytes());
    let args = [
        "call",
        "--state",
        path.to_str().unwrap(),
        "--to",
        COUNTER,
        "--gas",
        "5000",
        "--metering",
        "off",
        "--dump",
    ];
    let out = ewvm(&args);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "failure");
    assert_eq!(report["error"], "out of gas");
    assert_eq!(
        (report["gasUsed"].clone(), report["gasLeft"].clone()),
        (json!(5000), json!(0))
    );
    assert_eq!(report["output"], "0x");
    assert_eq!(report["state"], dumped(&state));
}

#[test]
fn bad_input_exits_1_naming_the_field() {
    let good = json!({ COUNTER: contract("counter", json!({})) });
    let good = temp_file("good.json", good.to_string().as_bytes());
    let good = good.to_str().unwrap();
    let malformed = temp_file("malformed.json", b"{\"0xc0\": ");
    let bad_code = temp_file(
        "bad-code.json",
        json!({ COUNTER: account(0, 0, "0xabc", json!({})) })
            .to_string()
            .as_bytes(),
    );
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "call",
                "--state",
                malformed.to_str().unwrap(),
                "--to",
                COUNTER,
            ],
            "--state",
        ),
        (
            &[
                "call",
                "--state",
                bad_code.to_str().unwrap(),
                "--to",
                COUNTER,
            ],
            &format!("{COUNTER}.code"),
        ),
        (
            &["call", "--state", "no/such/file.json", "--to", COUNTER],
            "cannot read",
        ),
        (
            &["call", "--state", good, "--to", COUNTER, "--input", "0xzz"],
            "--input",
        ),
        (&["call", "--state", good, "--to", RECIPIENT], "--to"),
        (&["call", "--state", good, "--to", "0x1234"], "--to"),
        (
            &["call", "--state", good, "--to", COUNTER, "--metering", "on"],
            "--metering",
        ),
        (
            &["create", "--state", good, "--code", "no/such/file.wat"],
            "--code",
        ),
    ];
    for (args, field) in cases {
        let out = ewvm(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(field), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
