//! Results: one [`CaseReport`] per test, fork and post entry, serialized as geth's
//! `evm statetest` prints them, and the post-state dump of `--dump`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{json, Value};

use crate::state::{storage_root, WorldState};

/// The outcome of one test case (geth's `StatetestResult`, plus the indexes).
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// Test name.
    pub name: String,
    /// Whether every check passed.
    pub pass: bool,
    /// The computed post state root (absent when the case could not run).
    #[serde(rename = "stateRoot", skip_serializing_if = "Option::is_none")]
    pub state_root: Option<String>,
    /// Fork name as written in the file (empty for file- or test-level errors).
    pub fork: String,
    /// Index into `transaction.data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<usize>,
    /// Index into `transaction.gasLimit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g: Option<usize>,
    /// Index into `transaction.value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<usize>,
    /// Why it failed (empty when it passed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The post state (`--dump`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// The EIP-3155 trace lines (`--json`), printed on stderr rather than serialized.
    #[serde(skip)]
    pub trace: String,
    /// The file the case comes from.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The post state as geth's `--dump` shows it: root, then accounts with balance, nonce,
/// storage root, code hash, code and storage.
pub fn dump(state: &WorldState, root: &str) -> Value {
    let accounts: BTreeMap<String, Value> = state
        .accounts()
        .iter()
        .map(|(address, account)| {
            let storage: BTreeMap<String, String> = account
                .storage
                .iter()
                .map(|(k, v)| (format!("{k:?}"), format!("{v:?}")))
                .collect();
            let entry = json!({
                "balance": account.balance.to_string(),
                "nonce": account.nonce,
                "root": format!("{:?}", storage_root(&account.storage)),
                "codeHash": format!("{:?}", account.code_hash()),
                "code": format!("0x{}", hex::encode(account.code.bytes())),
                "storage": storage,
            });
            (format!("{address:?}"), entry)
        })
        .collect();
    json!({ "root": root, "accounts": accounts })
}
