//! Serde types matching the GeneralStateTests JSON (and the `expect` sections of fillers,
//! which ewvm's own fixtures carry too).

use std::collections::BTreeMap;

use primitive_types::H160;
use serde::Deserialize;

use super::serde_hex::{deserialize_code, deserialize_to, Address, Hash, HexBytes, Quantity};

/// One test of a file: `env`, `pre`, `transaction`, `post`, and optional `expect` sections.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestUnit {
    /// The block environment.
    pub env: BlockEnv,
    /// Accounts before the transaction.
    pub pre: BTreeMap<Address, PreAccount>,
    /// The transaction, with lists of data, gas limits and values.
    pub transaction: Transaction,
    /// Expected results per fork name.
    pub post: BTreeMap<String, Vec<PostEntry>>,
    /// Filler-style expectations on accounts (ewvm's fixtures; absent from filled tests).
    #[serde(default)]
    pub expect: Vec<Expect>,
}

/// `env`: the block the transaction runs in.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockEnv {
    /// Block beneficiary, paid the fees.
    pub current_coinbase: Address,
    /// Block difficulty.
    pub current_difficulty: Quantity,
    /// Block gas limit.
    pub current_gas_limit: Quantity,
    /// Block number.
    pub current_number: Quantity,
    /// Block timestamp.
    pub current_timestamp: Quantity,
    /// Parent hash (informational; block hashes follow the `keccak256(decimal n)` convention).
    #[serde(default)]
    pub previous_hash: Option<Hash>,
}

/// An account of `pre`.
#[derive(Debug, Clone, Deserialize)]
pub struct PreAccount {
    /// Balance in wei.
    pub balance: Quantity,
    /// Code (Wasm for Ewasm contracts; empty for plain accounts), as hex or WAT text.
    #[serde(deserialize_with = "deserialize_code")]
    pub code: HexBytes,
    /// Nonce.
    pub nonce: Quantity,
    /// Storage slots.
    #[serde(default)]
    pub storage: BTreeMap<Quantity, Quantity>,
}

/// `transaction`: one transaction per combination of `data`, `gasLimit` and `value` indexes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Call data (or init code) choices.
    pub data: Vec<HexBytes>,
    /// Gas limit choices.
    pub gas_limit: Vec<Quantity>,
    /// Value choices.
    pub value: Vec<Quantity>,
    /// Gas price.
    pub gas_price: Quantity,
    /// Sender nonce.
    pub nonce: Quantity,
    /// Recipient; `None` (`""` in JSON) for a creation.
    #[serde(deserialize_with = "deserialize_to")]
    pub to: Option<H160>,
    /// Secret key the sender is derived from.
    #[serde(default)]
    pub secret_key: Option<Hash>,
    /// Sender, used instead of deriving it when present.
    #[serde(default)]
    pub sender: Option<Address>,
}

/// One expected result of `post.<fork>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry {
    /// Expected state root (optional in ewvm's fixtures, which use `expect` instead).
    #[serde(default)]
    pub hash: Option<Hash>,
    /// Expected logs hash.
    #[serde(default)]
    pub logs: Option<Hash>,
    /// Which data, gas and value the transaction uses.
    pub indexes: Indexes,
    /// The transaction must be invalid, for this reason.
    #[serde(default)]
    pub expect_exception: Option<String>,
}

/// Indexes into the transaction's `data`, `gasLimit` and `value` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Indexes {
    /// Index into `data`.
    pub data: usize,
    /// Index into `gasLimit`.
    pub gas: usize,
    /// Index into `value`.
    pub value: usize,
}

/// A filler-style `expect` section: account expectations for some indexes and forks.
#[derive(Debug, Clone, Deserialize)]
pub struct Expect {
    /// Which post entries it applies to (all when absent).
    #[serde(default)]
    pub indexes: ExpectIndexes,
    /// Fork names it applies to; `ALL` for every fork.
    #[serde(default = "all_networks")]
    pub network: Vec<String>,
    /// Expected accounts.
    pub result: BTreeMap<Address, ExpectAccount>,
}

fn all_networks() -> Vec<String> {
    vec!["ALL".to_string()]
}

/// Index selectors of an `expect` section.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExpectIndexes {
    /// Data indexes.
    #[serde(default)]
    pub data: IndexSelector,
    /// Gas indexes.
    #[serde(default)]
    pub gas: IndexSelector,
    /// Value indexes.
    #[serde(default)]
    pub value: IndexSelector,
}

/// `-1` (any), one index, or a list of indexes.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IndexSelector {
    /// One index, or -1 for any.
    One(i64),
    /// Any of these.
    Many(Vec<i64>),
}

impl Default for IndexSelector {
    fn default() -> Self {
        IndexSelector::One(-1)
    }
}

impl IndexSelector {
    /// Whether `index` is selected.
    pub fn matches(&self, index: usize) -> bool {
        let is = |i: &i64| *i == -1 || usize::try_from(*i).is_ok_and(|i| i == index);
        match self {
            IndexSelector::One(i) => is(i),
            IndexSelector::Many(list) => list.iter().any(is),
        }
    }
}

/// Expected facts about one account; absent fields are not checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectAccount {
    /// Balance.
    #[serde(default)]
    pub balance: Option<Quantity>,
    /// Nonce.
    #[serde(default)]
    pub nonce: Option<Quantity>,
    /// Code.
    #[serde(default)]
    pub code: Option<HexBytes>,
    /// The complete storage: listed slots hold these values, all others are zero.
    #[serde(default)]
    pub storage: Option<BTreeMap<Quantity, Quantity>>,
    /// The account must not exist.
    #[serde(default, rename = "shouldnotexist")]
    pub should_not_exist: bool,
}
