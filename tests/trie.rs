//! Merkle-Patricia trie roots against the ethereum/tests `TrieTests` vectors.
//!
//! The vectors are read from `$EWVM_ETHEREUM_TESTS/TrieTests` (default
//! `../shared/ethereum-tests` next to the crate); they are never copied into the project.
//! Format quirks handled here:
//! - keys and values starting with `0x` are hex, anything else is the raw UTF-8 string;
//! - `in` is an object (any order) or a list of `[key, value]` pairs applied in order, where
//!   a `null` value deletes the key;
//! - files whose name contains `secureTrie`/`securetrie` use the secure trie (hashed keys).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ewvm::state::{sec_trie_root, trie_root};
use primitive_types::H256;
use serde_json::Value;

/// The files the suite is known to hold; each must be present and pass.
const KNOWN_FILES: [&str; 5] = [
    "hex_encoded_securetrie_test.json",
    "trieanyorder.json",
    "trieanyorder_secureTrie.json",
    "trietest.json",
    "trietest_secureTrie.json",
];

fn tests_dir() -> PathBuf {
    match std::env::var_os("EWVM_ETHEREUM_TESTS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ethereum-tests"),
    }
}

/// A key or value: `0x`-prefixed hex, or else the string's own bytes.
fn decode(text: &str) -> Result<Vec<u8>, String> {
    match text.strip_prefix("0x") {
        Some(hex_digits) => hex::decode(hex_digits).map_err(|e| format!("bad hex {text:?}: {e}")),
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// Applies one `[key, value]` operation: a `null` value deletes.
fn apply(map: &mut BTreeMap<Vec<u8>, Vec<u8>>, key: &str, value: &Value) -> Result<(), String> {
    let key = decode(key)?;
    match value {
        Value::Null => {
            map.remove(&key);
        }
        Value::String(v) => {
            map.insert(key, decode(v)?);
        }
        other => return Err(format!("value is neither string nor null: {other}")),
    }
    Ok(())
}

/// Checks one vector; `Err` describes the mismatch or the malformed input.
fn check_vector(vector: &Value, secure: bool) -> Result<(), String> {
    let mut map = BTreeMap::new();
    match vector.get("in") {
        Some(Value::Object(items)) => {
            for (key, value) in items {
                apply(&mut map, key, value)?;
            }
        }
        Some(Value::Array(ops)) => {
            for op in ops {
                match op.as_array().map(Vec::as_slice) {
                    Some([Value::String(key), value]) => apply(&mut map, key, value)?,
                    _ => return Err(format!("malformed operation {op}")),
                }
            }
        }
        _ => return Err("missing or malformed `in`".into()),
    }
    let expected: H256 = vector
        .get("root")
        .and_then(Value::as_str)
        .ok_or("missing `root`")?
        .parse()
        .map_err(|e| format!("bad root: {e:?}"))?;
    let got = if secure {
        sec_trie_root(&map)
    } else {
        trie_root(&map)
    };
    if got == expected {
        Ok(())
    } else {
        Err(format!("root mismatch: got {got:?}, expected {expected:?}"))
    }
}

#[test]
fn trie_tests_vectors() {
    let dir = tests_dir().join("TrieTests");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED trie_tests_vectors: {} not found (set EWVM_ETHEREUM_TESTS to an ethereum/tests checkout)",
            dir.display()
        );
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read TrieTests directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for known in KNOWN_FILES {
        assert!(
            dir.join(known).is_file(),
            "{known} missing from {}",
            dir.display()
        );
    }

    let (mut passed, mut failures) = (0usize, Vec::new());
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let secure = name.to_ascii_lowercase().contains("securetrie");
        let text = std::fs::read_to_string(path).expect("read trie test file");
        let suite: BTreeMap<String, Value> =
            serde_json::from_str(&text).expect("parse trie test file");
        let before = passed;
        for (test, vector) in &suite {
            match check_vector(vector, secure) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{name} / {test}: {e}")),
            }
        }
        eprintln!(
            "{name}: {} of {} vectors passed",
            passed - before,
            suite.len()
        );
    }
    eprintln!("trie vectors: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert!(passed > 0, "no trie vectors found in {}", dir.display());
}
