//! A `pre` section on its own as a mock world state (for `ewvm call` and `ewvm create`):
//! parsed with the state tests' types, and dumped back in the same format.

use std::collections::BTreeMap;

use primitive_types::{H160, H256, U256};
use serde_json::{json, Value};

use super::error::StateTestErrorKind;
use super::serde_hex::Address;
use super::types::PreAccount;
use crate::state::{Account, Code, WorldState};

/// Accounts by address, as in a test's `pre` section.
pub type PreState = BTreeMap<Address, PreAccount>;

/// Parses a JSON object in the `pre` format (address → balance, nonce, code as hex or WAT
/// text, storage) into a world state.
///
/// # Errors
/// [`StateTestErrorKind::Parse`] naming the offending field, or
/// [`StateTestErrorKind::TooLarge`] for a nonce beyond 64 bits.
pub fn parse_pre_state(json: &str) -> Result<WorldState, StateTestErrorKind> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let pre: PreState = serde_path_to_error::deserialize(de)?;
    pre_accounts(&pre).map(WorldState::from_accounts)
}

/// Converts `pre` accounts to world-state accounts, dropping zero storage slots.
///
/// # Errors
/// [`StateTestErrorKind::TooLarge`] for a nonce beyond 64 bits.
pub fn pre_accounts(pre: &PreState) -> Result<BTreeMap<H160, Account>, StateTestErrorKind> {
    pre.iter()
        .map(|(address, account)| {
            let storage = account
                .storage
                .iter()
                .filter(|(_, v)| !v.0.is_zero())
                .map(|(k, v)| (H256(k.0.to_big_endian()), H256(v.0.to_big_endian())))
                .collect();
            let nonce =
                u64::try_from(account.nonce.0).map_err(|_| StateTestErrorKind::TooLarge {
                    field: "pre.nonce",
                    value: account.nonce.0.to_string(),
                })?;
            let account = Account {
                nonce,
                balance: account.balance.0,
                code: Code::new(account.code.0.clone()),
                storage,
            };
            Ok((address.0, account))
        })
        .collect()
}

/// The accounts of `state` in the `pre` format: quantities and storage slots as minimal
/// lowercase `0x` hex, code as `0x` hex; [`parse_pre_state`] reads it back.
pub fn dump_pre(state: &WorldState) -> Value {
    let word = |w: &H256| format!("{:#x}", U256::from_big_endian(w.as_bytes()));
    let accounts: BTreeMap<String, Value> = state
        .accounts()
        .iter()
        .map(|(address, account)| {
            let storage: BTreeMap<String, String> = account
                .storage
                .iter()
                .map(|(k, v)| (word(k), word(v)))
                .collect();
            let entry = json!({
                "balance": format!("{:#x}", account.balance),
                "nonce": format!("{:#x}", account.nonce),
                "code": format!("0x{}", hex::encode(account.code.bytes())),
                "storage": storage,
            });
            (format!("{address:?}"), entry)
        })
        .collect();
    json!(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_reads_back_to_the_same_state() {
        let json = r#"{"0x00000000000000000000000000000000000000c0": {
            "balance": "1000", "nonce": 3, "code": "(module)",
            "storage": {"0x01": "0x0200", "0x02": "0x00"}}}"#;
        let state = parse_pre_state(json).unwrap();
        let account = state.account(H160::from_low_u64_be(0xc0)).unwrap();
        assert_eq!(account.storage.len(), 1);
        assert_eq!(account.code.bytes(), b"\0asm\x01\0\0\0");
        let dumped = dump_pre(&state);
        assert_eq!(
            dumped["0x00000000000000000000000000000000000000c0"]["storage"],
            json!({"0x1": "0x200"})
        );
        let again = parse_pre_state(&dumped.to_string()).unwrap();
        assert_eq!(again.accounts(), state.accounts());
    }

    #[test]
    fn errors_name_the_field() {
        let err = parse_pre_state(
            r#"{"0x00000000000000000000000000000000000000c0":
            {"balance": "1", "nonce": "0", "code": "0xabc"}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("0x00000000000000000000000000000000000000c0.code"),
            "{err}"
        );
    }
}
