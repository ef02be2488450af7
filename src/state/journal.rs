//! The journal: a list of undo records, and checkpoints that are just list lengths.
//!
//! Every change [`WorldState`](super::WorldState) makes pushes one [`JournalEntry`] holding
//! what is needed to undo it. [`WorldState::revert`](super::WorldState::revert) pops entries
//! back to a [`Checkpoint`] in reverse order, so a revert costs as much as the work it undoes
//! and never copies the state. Logs are not journaled entry by entry: a checkpoint records
//! how many there were, and a revert truncates to that.

use primitive_types::{H160, H256, U256};

use super::account::{Account, Code};

/// One undone-able change to the world state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalEntry {
    /// Action: an account was created (explicitly, or by the first write to a missing one).
    /// Revert: put back `previous`, or remove the account if there was none.
    AccountCreated {
        /// The created account.
        address: H160,
        /// The account it replaced, if any.
        previous: Option<Box<Account>>,
    },
    /// Action: an account was deleted (self-destructed or EIP-161 empty).
    /// Revert: reinsert it.
    AccountRemoved {
        /// The deleted account.
        address: H160,
        /// Its content at deletion.
        account: Box<Account>,
    },
    /// Action: a balance changed. Revert: restore `old`.
    BalanceChange {
        /// The account.
        address: H160,
        /// Balance before the change.
        old: U256,
    },
    /// Action: a nonce changed. Revert: restore `old`.
    NonceChange {
        /// The account.
        address: H160,
        /// Nonce before the change.
        old: u64,
    },
    /// Action: code was set. Revert: restore `old`.
    CodeChange {
        /// The account.
        address: H160,
        /// Code before the change.
        old: Code,
    },
    /// Action: a storage slot was written. Revert: restore `old` (zero = unset).
    StorageChange {
        /// The account.
        address: H160,
        /// The slot.
        key: H256,
        /// Value before the write.
        old: H256,
    },
    /// Action: an account was marked touched for the first time.
    /// Revert: unmark it.
    Touched {
        /// The account.
        address: H160,
    },
    /// Action: an account was marked self-destructed for the first time.
    /// Revert: unmark it.
    SelfDestructed {
        /// The account.
        address: H160,
    },
    /// Action: the gas refund counter changed. Revert: restore `old`.
    RefundChange {
        /// Refund before the change.
        old: u64,
    },
}

/// The ordered list of undo records since the start of the transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Journal {
    entries: Vec<JournalEntry>,
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// Appends an entry.
    pub(super) fn push(&mut self, entry: JournalEntry) {
        self.entries.push(entry);
    }

    /// Removes the entries from index `len` on and returns them, newest first.
    pub(super) fn unwind_to(&mut self, len: usize) -> impl Iterator<Item = JournalEntry> + '_ {
        let len = len.min(self.entries.len());
        self.entries.drain(len..).rev()
    }

    /// Drops all entries.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A point to commit or revert to: the journal and log lengths when it was taken.
///
/// Not `Copy`: [`commit`](super::WorldState::commit) and
/// [`revert`](super::WorldState::revert) consume it, so one checkpoint closes once.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a checkpoint must be committed or reverted"]
pub struct Checkpoint {
    pub(super) entries: usize,
    pub(super) logs: usize,
}

impl Checkpoint {
    /// Journal length when the checkpoint was taken.
    pub fn journal_len(&self) -> usize {
        self.entries
    }

    /// Number of logs when the checkpoint was taken.
    pub fn logs_len(&self) -> usize {
        self.logs
    }
}
