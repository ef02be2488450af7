//! State root, storage roots, account RLP and the logs hash, as the state tests define them.

use std::collections::BTreeMap;

use primitive_types::{H160, H256};
use rlp::RlpStream;

use super::account::Account;
use super::hash::keccak256;
use super::log::Log;
use super::trie::sec_trie_root;
use super::world::WorldState;

/// State root of `state`: the secure trie of `keccak256(address) → account_rlp(account)`.
///
/// Computed over the accounts as they are; call [`WorldState::finalize`] first to apply the
/// end-of-transaction deletions.
pub fn state_root(state: &WorldState) -> H256 {
    accounts_root(state.accounts())
}

/// State root over any set of accounts (see [`state_root`]).
pub fn accounts_root<'a>(accounts: impl IntoIterator<Item = (&'a H160, &'a Account)>) -> H256 {
    sec_trie_root(
        accounts
            .into_iter()
            .map(|(address, account)| (*address, account_rlp(account))),
    )
}

/// Storage root: the secure trie of `keccak256(key) → rlp(value as a big-endian integer)`,
/// zero values left out.
pub fn storage_root(storage: &BTreeMap<H256, H256>) -> H256 {
    sec_trie_root(
        storage
            .iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(key, value)| (*key, rlp::encode(&trim_leading_zeros(value.as_bytes())))),
    )
}

/// RLP of an account in the state trie: `[nonce, balance, storageRoot, codeHash]`.
pub fn account_rlp(account: &Account) -> Vec<u8> {
    let mut s = RlpStream::new_list(4);
    s.append(&account.nonce);
    s.append(&trim_leading_zeros(&account.balance.to_big_endian()));
    s.append(&storage_root(&account.storage).as_bytes());
    s.append(&account.code_hash().as_bytes());
    s.out().to_vec()
}

/// Logs hash of a transaction: `keccak256(rlp([[address, [topics...], data], ...]))`.
pub fn logs_hash(logs: &[Log]) -> H256 {
    let mut s = RlpStream::new_list(logs.len());
    for log in logs {
        s.append(log);
    }
    keccak256(s.out())
}

/// A big-endian integer without its leading zero bytes (RLP's integer form; zero is empty).
fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}
