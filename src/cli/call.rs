//! `ewvm call` and `ewvm create`: run one message against a mock state in the state tests'
//! `pre` format and print its outcome as one JSON object.
//!
//! A message, not a transaction: no intrinsic gas, fee or refund, and `call` leaves the sender's
//! nonce alone (`create` bumps it, as every creation does). The block context is all zero
//! except `getTxOrigin` (the sender) and `getBlockGasLimit` (the message's gas).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ewvm::ewasm::{
    execute_message, DebugOutput, Env, ExecutionResult, Message, Metering, Settings, Status,
    TxContext, Vm,
};
use ewvm::state::{Log, WorldState};
use ewvm::statetest::serde_hex::{parse_bytes, parse_quantity, HexBytes};
use ewvm::statetest::{dump_pre, parse_pre_state, StateTestErrorKind};
use primitive_types::{H160, U256};
use serde::Serialize;
use serde_json::Value;

/// The sender when `--from` is not given (the usual state-test sender; funded only if the
/// state says so).
const DEFAULT_SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

/// Arguments of `ewvm call`.
#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The account to call; it must exist in the state.
    #[arg(long, value_name = "ADDR", value_parser = parse_address)]
    to: H160,
    /// Call data, hex with or without `0x`.
    #[arg(long, value_name = "HEX", value_parser = parse_input, default_value = "")]
    input: HexBytes,
    #[command(flatten)]
    message: MessageArgs,
}

/// Arguments of `ewvm create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The init code (`.wasm` or `.wat`): a module whose `main` finishes with the code to
    /// deploy. It runs with empty call data.
    #[arg(long, value_name = "FILE")]
    code: PathBuf,
    #[command(flatten)]
    message: MessageArgs,
}

/// The options `call` and `create` share.
#[derive(Debug, clap::Args)]
struct MessageArgs {
    /// The world state: a JSON object in the state tests' `pre` format.
    #[arg(long, value_name = "STATE.json")]
    state: PathBuf,
    /// The sender (`getCaller`, `getTxOrigin`).
    #[arg(long, value_name = "ADDR", value_parser = parse_address, default_value = DEFAULT_SENDER)]
    from: H160,
    /// Value in wei, decimal or `0x` hex; the sender must hold it.
    #[arg(long, value_name = "WEI", value_parser = parse_quantity, default_value = "0")]
    value: U256,
    /// Gas given to the message.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..), default_value_t = 10_000_000)]
    gas: i64,
    /// Wasm instruction metering: `injected` (instructions cost gas) or `off` (only EEI calls).
    #[arg(long, value_enum, default_value_t = MeteringArg::Injected)]
    metering: MeteringArg,
    /// Grant the `debug` module; its lines go to stderr.
    #[arg(long)]
    debug: bool,
    /// Add the state after the message as `state`, in the input format.
    #[arg(long)]
    dump: bool,
}

/// `--metering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MeteringArg {
    /// Only EEI calls cost gas.
    Off,
    /// Inject metering into the contracts.
    Injected,
}

/// Bad input: exit status 1, with a message naming the option or field.
#[derive(Debug, thiserror::Error)]
enum CallError {
    /// `--state` or `--code` cannot be read.
    #[error("{option} {}: cannot read: {source}", path.display())]
    Read {
        option: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The state JSON is malformed.
    #[error("--state {}: {source}", path.display())]
    State {
        path: PathBuf,
        source: StateTestErrorKind,
    },
    /// `--code` is neither Wasm nor WAT that assembles.
    #[error("--code {}: invalid WAT: {message}", path.display())]
    Code { path: PathBuf, message: String },
    /// `--to` names no account of the state.
    #[error("--to {0:?}: no such account in the state")]
    UnknownAccount(H160),
}

/// The JSON printed on stdout.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    gas_used: i64,
    gas_left: i64,
    output: String,
    logs: Vec<LogReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<Value>,
}

/// One log of [`Report`].
#[derive(Debug, Serialize)]
struct LogReport {
    address: String,
    topics: Vec<String>,
    data: String,
}

/// Runs `ewvm call`.
pub fn run_call(args: CallArgs) -> ExitCode {
    finish(call(&args).map(|(message, state)| execute(&args.message, message, state)))
}

/// Runs `ewvm create`.
pub fn run_create(args: CreateArgs) -> ExitCode {
    finish(create(&args).map(|(message, state)| execute(&args.message, message, state)))
}

/// Prints the report (exit 0) or the error (exit 1).
fn finish(report: Result<Report, CallError>) -> ExitCode {
    let json = report.map(|r| serde_json::to_string_pretty(&r));
    match json {
        Ok(Ok(json)) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("error: cannot serialize the result: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The state and the message of `ewvm call`.
fn call(args: &CallArgs) -> Result<(Message, WorldState), CallError> {
    let state = load_state(&args.message.state)?;
    if !state.exists(args.to) {
        return Err(CallError::UnknownAccount(args.to));
    }
    let message = Message::call(
        args.message.from,
        args.to,
        args.input.0.clone(),
        args.message.gas,
    )
    .with_value(args.message.value);
    Ok((message, state))
}

/// The state and the message of `ewvm create`.
fn create(args: &CreateArgs) -> Result<(Message, WorldState), CallError> {
    let state = load_state(&args.message.state)?;
    let bytes = read("--code", &args.code)?;
    let init = wat::parse_bytes(&bytes).map_err(|e| CallError::Code {
        path: args.code.clone(),
        message: e.to_string(),
    })?;
    let message = Message::create(args.message.from, init.into_owned(), args.message.gas)
        .with_value(args.message.value);
    Ok((message, state))
}

/// Reads and parses `--state`.
fn load_state(path: &Path) -> Result<WorldState, CallError> {
    let text = read("--state", path)?;
    let text = String::from_utf8_lossy(&text);
    parse_pre_state(&text).map_err(|source| CallError::State {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the file given to `option`.
fn read(option: &'static str, path: &Path) -> Result<Vec<u8>, CallError> {
    std::fs::read(path).map_err(|source| CallError::Read {
        option,
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `message` on `state` and reports the outcome.
fn execute(args: &MessageArgs, message: Message, mut state: WorldState) -> Report {
    let settings = Settings {
        metering: match args.metering {
            MeteringArg::Off => Metering::Off,
            MeteringArg::Injected => Metering::Injected,
        },
        debug: match args.debug {
            true => DebugOutput::Stderr,
            false => DebugOutput::Off,
        },
    };
    let env = Env {
        tx: TxContext {
            origin: message.sender,
            gas_limit: message.gas,
            chain_id: U256::one(),
            ..TxContext::default()
        },
        block_hashes: Default::default(),
    };
    let result = execute_message(&Vm::new(settings), &mut state, &env, &message);
    report(&message, &result, &state, args.dump)
}

/// The report of `result`, with the logs (and, if asked, the accounts) of `state`.
fn report(message: &Message, result: &ExecutionResult, state: &WorldState, dump: bool) -> Report {
    let (status, error) = match &result.status {
        Status::Success => ("success", None),
        Status::Revert => ("revert", Some("execution reverted".to_string())),
        Status::Failure(failure) => ("failure", Some(failure.to_string())),
    };
    Report {
        status,
        error,
        gas_used: message.gas - result.gas_left,
        gas_left: result.gas_left,
        output: hex_string(&result.output),
        logs: state.logs().iter().map(log_report).collect(),
        created_address: result.create_address.map(|a| format!("{a:?}")),
        state: dump.then(|| dump_pre(state)),
    }
}

/// A log as JSON.
fn log_report(log: &Log) -> LogReport {
    LogReport {
        address: format!("{:?}", log.address),
        topics: log.topics.iter().map(|t| format!("{t:?}")).collect(),
        data: hex_string(&log.data),
    }
}

/// Lowercase `0x` hex.
fn hex_string(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses a 20-byte hex address, with or without `0x`.
fn parse_address(text: &str) -> Result<H160, String> {
    let bytes = parse_bytes(text)?;
    <[u8; 20]>::try_from(bytes.as_slice())
        .map(H160)
        .map_err(|_| format!("expected 20 bytes, got {}", bytes.len()))
}

/// Parses `--input` hex, with or without `0x`.
fn parse_input(text: &str) -> Result<HexBytes, String> {
    parse_bytes(text).map(HexBytes)
}
