//! State roots of the plain value-transfer state tests (`GeneralStateTests/transfers`),
//! recomputed with [`WorldState`] and a minimal Byzantium transaction rule set.
//!
//! The transactions carry no code, so only the world-state rules are exercised: nonce and fee,
//! value transfer, contract creation with empty initcode, coinbase payment, EIP-161 removal of
//! touched empty accounts, the state root and the (empty) logs hash. The full runner with
//! contract execution lives in `statetest`. The data is read from `$EWVM_ETHEREUM_TESTS`
//! (default `../shared/ethereum-tests`); when it is absent the test says so and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ewvm::state::{create_address, logs_hash, state_root, Account, Code, WorldState};
use primitive_types::{H160, H256, U256};
use serde_json::Value;

/// The only key these tests use, and its address (secp256k1 derivation is not this module's).
const KNOWN_KEY: &str = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const KNOWN_SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

fn tests_dir() -> PathBuf {
    match std::env::var_os("EWVM_ETHEREUM_TESTS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ethereum-tests"),
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("missing field `{name}`"))
}

fn text<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| format!("`{name}` is not a string"))
}

fn quantity(s: &str) -> Result<U256, String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.is_empty() {
        return Ok(U256::zero());
    }
    U256::from_str_radix(digits, 16).map_err(|e| format!("bad quantity {s:?}: {e:?}"))
}

fn bytes(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| format!("bad hex {s:?}: {e}"))
}

fn address(s: &str) -> Result<H160, String> {
    let raw = bytes(s)?;
    if raw.len() != 20 {
        return Err(format!("bad address {s:?}"));
    }
    Ok(H160::from_slice(&raw))
}

fn indexed<'a>(tx: &'a Value, name: &str, index: &Value) -> Result<&'a str, String> {
    let i = index
        .as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or("bad index")?;
    field(tx, name)?
        .get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{name}[{i}]` missing"))
}

fn load_pre(pre: &Value) -> Result<WorldState, String> {
    let mut accounts = BTreeMap::new();
    for (addr, acc) in pre.as_object().ok_or("`pre` is not an object")? {
        let mut storage = BTreeMap::new();
        for (k, v) in field(acc, "storage")?.as_object().ok_or("bad storage")? {
            let value = quantity(v.as_str().ok_or("bad storage value")?)?;
            if !value.is_zero() {
                let key = quantity(k)?;
                storage.insert(H256(key.to_big_endian()), H256(value.to_big_endian()));
            }
        }
        let account = Account {
            nonce: quantity(text(acc, "nonce")?)?.low_u64(),
            balance: quantity(text(acc, "balance")?)?,
            code: Code::new(bytes(text(acc, "code")?)?),
            storage,
        };
        accounts.insert(address(addr)?, account);
    }
    Ok(WorldState::from_accounts(accounts))
}

/// Applies one Byzantium transaction without code; returns the logs hash.
fn apply_tx(
    state: &mut WorldState,
    env: &Value,
    tx: &Value,
    indexes: &Value,
) -> Result<H256, String> {
    let data = bytes(indexed(tx, "data", field(indexes, "data")?)?)?;
    let gas_limit = quantity(indexed(tx, "gasLimit", field(indexes, "gas")?)?)?;
    let value = quantity(indexed(tx, "value", field(indexes, "value")?)?)?;
    let gas_price = quantity(text(tx, "gasPrice")?)?;
    let nonce = quantity(text(tx, "nonce")?)?;
    let to = text(tx, "to")?;
    let sender = address(KNOWN_SENDER)?;
    let coinbase = address(text(env, "currentCoinbase")?)?;
    let block_gas_limit = quantity(text(env, "currentGasLimit")?)?;

    let create = to.is_empty();
    let data_gas: u64 = data.iter().map(|&b| if b == 0 { 4 } else { 68 }).sum();
    let intrinsic = U256::from(21_000 + data_gas + if create { 32_000 } else { 0 });
    let fee = gas_limit * gas_price;
    let valid = U256::from(state.nonce(sender)) == nonce
        && state.balance(sender) >= fee + value
        && gas_limit >= intrinsic
        && gas_limit <= block_gas_limit;
    if !valid {
        return Ok(logs_hash(&[]));
    }
    if create && !data.is_empty() {
        return Err("initcode execution is out of scope here".into());
    }

    let sender_nonce = state.inc_nonce(sender).map_err(|e| e.to_string())?;
    state.sub_balance(sender, fee).map_err(|e| e.to_string())?;
    let cp = state.checkpoint();
    let target = if create {
        let new = create_address(sender, sender_nonce);
        state.create_account(new).map_err(|e| e.to_string())?;
        state.set_nonce(new, 1);
        new
    } else {
        address(to)?
    };
    state
        .transfer(sender, target, value)
        .map_err(|e| e.to_string())?;
    state.commit(cp);

    let gas_used = intrinsic;
    state
        .add_balance(sender, (gas_limit - gas_used) * gas_price)
        .map_err(|e| e.to_string())?;
    state
        .add_balance(coinbase, gas_used * gas_price)
        .map_err(|e| e.to_string())?;
    let logs = state.finalize();
    Ok(logs_hash(&logs))
}

fn check_file(path: &Path) -> Result<usize, String> {
    let json = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let suite: BTreeMap<String, Value> = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let mut checked = 0;
    for (name, test) in &suite {
        let tx = field(test, "transaction")?;
        if text(tx, "secretKey")? != KNOWN_KEY {
            return Err(format!("{name}: unknown secretKey"));
        }
        let post = field(field(test, "post")?, "Byzantium")?
            .as_array()
            .ok_or("`post.Byzantium` is not a list")?;
        for (i, entry) in post.iter().enumerate() {
            let mut state = load_pre(field(test, "pre")?)?;
            let logs = apply_tx(
                &mut state,
                field(test, "env")?,
                tx,
                field(entry, "indexes")?,
            )
            .map_err(|e| format!("{name}[{i}]: {e}"))?;
            let root = state_root(&state);
            let expected: H256 = text(entry, "hash")?.parse().map_err(|e| format!("{e:?}"))?;
            let expected_logs: H256 = text(entry, "logs")?.parse().map_err(|e| format!("{e:?}"))?;
            if root != expected {
                return Err(format!(
                    "{name}[{i}]: state root {root:?}, expected {expected:?}"
                ));
            }
            if logs != expected_logs {
                return Err(format!(
                    "{name}[{i}]: logs hash {logs:?}, expected {expected_logs:?}"
                ));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn transfers_post_state_roots() {
    let dir = tests_dir().join("GeneralStateTests/transfers");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED transfers_post_state_roots: {} not found (set EWVM_ETHEREUM_TESTS to an ethereum/tests checkout)",
            dir.display()
        );
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read transfers directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut passed, mut failures) = (0usize, Vec::new());
    for path in &files {
        match check_file(path) {
            Ok(n) => passed += n,
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    eprintln!(
        "transfers: {passed} Byzantium entries passed, {} files failed",
        failures.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert!(passed >= 8, "expected at least 8 entries, checked {passed}");
}
