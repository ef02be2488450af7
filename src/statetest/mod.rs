//! The JSON state-test harness: runs Ethereum GeneralStateTests files (the official Ewasm
//! suite, plain transfer tests, and ewvm's own `fixtures/`) on the EEI.
//!
//! - [`types`] and [`serde_hex`]: the JSON format, with lenient hex/decimal quantities.
//! - [`tx`]: Byzantium transaction rules (sender from `secretKey`, intrinsic gas, validity,
//!   fee, refund cap, coinbase payment, EIP-158/161) over [`crate::ewasm::execute_message`].
//! - [`runner`]: files → tests → forks → post entries, in parallel per file; each case checks
//!   `expectException`, then the logs hash, then the state root, then filler-style `expect`
//!   sections ([`expect`]). Only Byzantium is implemented; other forks are counted as skipped.
//! - [`report`]: geth-compatible results and `--dump`; [`trace`]: the `--json` trace.
//! - [`prestate`]: a `pre` section alone as a mock state (`ewvm call`/`create`), and its dump.
//!
//! ```
//! use ewvm::statetest::{run_json, RunnerOptions};
//! use std::path::Path;
//!
//! let json = r#"{"t": {
//!   "env": {"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
//!           "currentDifficulty": "0x020000", "currentGasLimit": "0x0f4240",
//!           "currentNumber": "0x01", "currentTimestamp": "0x03e8"},
//!   "pre": {"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b":
//!           {"balance": "1000000", "code": "", "nonce": "0", "storage": {}}},
//!   "transaction": {"data": [""], "gasLimit": ["21000"], "gasPrice": "1", "nonce": "0",
//!     "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
//!     "to": "0x1000000000000000000000000000000000000000", "value": ["5"]},
//!   "post": {"Byzantium": [{"indexes": {"data": 0, "gas": 0, "value": 0}}]},
//!   "expect": [{"result": {
//!     "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": "978995", "nonce": "1"},
//!     "0x1000000000000000000000000000000000000000": {"balance": "5"}}}]
//! }}"#;
//! let report = run_json(Path::new("inline.json"), json, &RunnerOptions::default());
//! assert!(report.cases[0].pass, "{}", report.cases[0].error);
//! ```

pub mod error;
pub mod expect;
pub mod fork;
pub mod prestate;
pub mod report;
pub mod runner;
pub mod serde_hex;
pub mod trace;
pub mod tx;
pub mod types;

pub use error::{StateTestError, StateTestErrorKind};
pub use fork::Fork;
pub use prestate::{dump_pre, parse_pre_state, pre_accounts, PreState};
pub use report::CaseReport;
pub use runner::{
    collect_files, run_file, run_files, run_json, FileReport, RunnerOptions, Summary,
};
