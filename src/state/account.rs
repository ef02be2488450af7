//! Accounts and contract code.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use primitive_types::{H256, U256};

use super::hash::{keccak256, EMPTY_CODE_HASH};

/// Immutable contract code with its Keccak-256 hash, computed once; cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Code {
    bytes: Arc<[u8]>,
    hash: H256,
}

impl Code {
    /// Wraps `bytes` and hashes them.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        let bytes = bytes.into();
        let hash = keccak256(&bytes);
        Self { bytes, hash }
    }

    /// The empty code of plain accounts (hash [`EMPTY_CODE_HASH`]).
    pub fn empty() -> Self {
        Self {
            bytes: Arc::from(&[][..]),
            hash: EMPTY_CODE_HASH,
        }
    }

    /// The code bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A shared handle to the code bytes.
    pub fn shared(&self) -> Arc<[u8]> {
        Arc::clone(&self.bytes)
    }

    /// `keccak256(code)`.
    pub fn hash(&self) -> H256 {
        self.hash
    }
}

impl Default for Code {
    fn default() -> Self {
        Self::empty()
    }
}

impl Deref for Code {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for Code {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<Vec<u8>> for Code {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<&[u8]> for Code {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes)
    }
}

impl From<Arc<[u8]>> for Code {
    fn from(bytes: Arc<[u8]>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for Code {
    // Code can be hundreds of kilobytes: show its size and hash only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("len", &self.bytes.len())
            .field("hash", &self.hash)
            .finish()
    }
}

/// One account of the world state.
///
/// `storage` holds non-zero values only; [`WorldState`](super::WorldState) removes a slot
/// when zero is written, and the storage root ignores zero values in any case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Number of transactions sent (or, for a contract, contracts created).
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Contract code (empty for plain accounts).
    pub code: Code,
    /// Storage slots, key → non-zero value.
    pub storage: BTreeMap<H256, H256>,
}

impl Account {
    /// An account with a balance and nothing else.
    pub fn with_balance(balance: U256) -> Self {
        Self {
            balance,
            ..Self::default()
        }
    }

    /// `keccak256(code)`.
    pub fn code_hash(&self) -> H256 {
        self.code.hash()
    }

    /// Empty per EIP-161: nonce 0, balance 0 and no code (storage does not count).
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code.is_empty()
    }

    /// Value of a storage slot (zero when unset).
    pub fn storage_value(&self, key: &H256) -> H256 {
        self.storage.get(key).copied().unwrap_or_default()
    }
}
