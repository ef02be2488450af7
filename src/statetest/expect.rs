//! Filler-style `expect` sections: account expectations checked against the post state, so
//! ewvm's own fixtures do not rest on roots only ewvm computed.

use primitive_types::{H160, H256};

use super::error::StateTestErrorKind;
use super::fork::Fork;
use super::types::{Expect, ExpectAccount, Indexes};
use crate::state::WorldState;

/// Whether a `network` entry (`ALL`, `Byzantium`, `>=Byzantium`, `<Istanbul`, …) covers `fork`.
///
/// # Errors
/// [`StateTestErrorKind::BadNetwork`] if the entry names no known fork.
fn network_matches(entry: &str, fork: Fork) -> Result<bool, StateTestErrorKind> {
    let entry = entry.trim();
    if entry == "ALL" {
        return Ok(true);
    }
    let (op, name) = [">=", "<=", ">", "<"]
        .iter()
        .find_map(|op| entry.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("=", entry));
    let named: Fork = name
        .parse()
        .map_err(|_| StateTestErrorKind::BadNetwork(entry.to_string()))?;
    Ok(match op {
        ">=" => fork >= named,
        "<=" => fork <= named,
        ">" => fork > named,
        "<" => fork < named,
        _ => fork == named,
    })
}

/// The sections of `expect` that apply to `fork` and `indexes`.
///
/// # Errors
/// [`StateTestErrorKind::BadNetwork`] for an unknown `network` entry.
pub fn applicable(
    expect: &[Expect],
    fork: Fork,
    indexes: Indexes,
) -> Result<Vec<&Expect>, StateTestErrorKind> {
    let mut chosen = Vec::new();
    for section in expect {
        let i = &section.indexes;
        if !(i.data.matches(indexes.data)
            && i.gas.matches(indexes.gas)
            && i.value.matches(indexes.value))
        {
            continue;
        }
        let mut covered = false;
        for entry in &section.network {
            covered |= network_matches(entry, fork)?;
        }
        if covered {
            chosen.push(section);
        }
    }
    Ok(chosen)
}

/// Every way `state` differs from the sections, one message each (empty when all hold).
pub fn mismatches(sections: &[&Expect], state: &WorldState) -> Vec<String> {
    let mut found = Vec::new();
    for section in sections {
        for (address, expected) in &section.result {
            check_account(address.0, expected, state, &mut found);
        }
    }
    found
}

/// Checks one account's expectations.
fn check_account(
    address: H160,
    expected: &ExpectAccount,
    state: &WorldState,
    out: &mut Vec<String>,
) {
    let Some(account) = state.account(address) else {
        if !expected.should_not_exist {
            out.push(format!("{address:?}: account does not exist"));
        }
        return;
    };
    if expected.should_not_exist {
        out.push(format!("{address:?}: account exists but should not"));
        return;
    }
    let mut differs = |what: String, got: String, want: String| {
        if got != want {
            out.push(format!("{address:?}: {what} is {got}, expected {want}"));
        }
    };
    if let Some(balance) = expected.balance {
        differs(
            "balance".into(),
            account.balance.to_string(),
            balance.0.to_string(),
        );
    }
    if let Some(nonce) = expected.nonce {
        differs(
            "nonce".into(),
            account.nonce.to_string(),
            nonce.0.to_string(),
        );
    }
    if let Some(code) = &expected.code {
        differs(
            "code".into(),
            format!("0x{}", hex::encode(account.code.bytes())),
            format!("0x{}", hex::encode(&code.0)),
        );
    }
    if let Some(storage) = &expected.storage {
        let listed: Vec<(H256, H256)> = storage
            .iter()
            .map(|(k, v)| (H256(k.0.to_big_endian()), H256(v.0.to_big_endian())))
            .collect();
        for (key, value) in &listed {
            let got = account.storage_value(key);
            differs(
                format!("storage[{key:?}]"),
                format!("{got:?}"),
                format!("{value:?}"),
            );
        }
        for (key, value) in &account.storage {
            if !value.is_zero() && !listed.iter().any(|(k, _)| k == key) {
                let what = format!("unlisted storage[{key:?}]");
                differs(what, format!("{value:?}"), format!("{:?}", H256::zero()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        assert!(network_matches("ALL", Fork::Frontier).unwrap());
        assert!(network_matches(">=Byzantium", Fork::Istanbul).unwrap());
        assert!(!network_matches("<Byzantium", Fork::Byzantium).unwrap());
        assert!(network_matches("Byzantium", Fork::Byzantium).unwrap());
        assert!(network_matches("Byzantine", Fork::Byzantium).is_err());
    }
}
