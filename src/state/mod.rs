//! The world state: accounts, their journal, the Merkle-Patricia trie and the state root.
//!
//! - [`WorldState`] holds accounts in a `BTreeMap` (so no hash-map order can leak into results)
//!   and records every change in a [`Journal`] of undo entries; [`WorldState::checkpoint`],
//!   [`WorldState::commit`] and [`WorldState::revert`] bracket one nested call each.
//! - [`trie_root`] and [`sec_trie_root`] compute Ethereum Merkle-Patricia roots;
//!   [`state_root`], [`storage_root`] and [`logs_hash`] apply them to accounts and logs
//!   as `post[].hash` and `post[].logs` of the state tests expect.
//!
//! ```
//! use ewvm::state::{state_root, WorldState, EMPTY_ROOT};
//! use primitive_types::{H160, U256};
//!
//! let mut state = WorldState::new();
//! assert_eq!(state_root(&state), EMPTY_ROOT);
//! let alice = H160::repeat_byte(0xaa);
//! state.set_balance(alice, U256::from(10));
//! let cp = state.checkpoint();
//! state.set_balance(alice, U256::from(3));
//! state.revert(cp);
//! assert_eq!(state.balance(alice), U256::from(10));
//! ```

mod account;
mod error;
mod hash;
mod journal;
mod log;
mod root;
mod trie;
mod world;

#[cfg(test)]
mod tests;

pub use account::{Account, Code};
pub use error::StateError;
pub use hash::{create_address, keccak256, EMPTY_CODE_HASH, EMPTY_LOGS_HASH, EMPTY_ROOT};
pub use journal::{Checkpoint, Journal, JournalEntry};
pub use log::Log;
pub use root::{account_rlp, accounts_root, logs_hash, state_root, storage_root};
pub use trie::{sec_trie_root, trie_root};
pub use world::WorldState;
