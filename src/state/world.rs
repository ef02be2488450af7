//! The journaled in-memory world state.

use std::collections::{BTreeMap, BTreeSet};

use primitive_types::{H160, H256, U256};

use super::account::{Account, Code};
use super::error::StateError;
use super::journal::{Checkpoint, Journal, JournalEntry};
use super::log::Log;

/// Accounts, logs and per-transaction bookkeeping, with every change journaled.
///
/// Reading a missing account gives zero values and changes nothing. Every write creates the
/// account if it is missing and marks it *touched* (geth's "dirty"), so that
/// [`remove_touched_empty`](Self::remove_touched_empty) can apply EIP-158/161. Open a
/// [`checkpoint`](Self::checkpoint) per nested call and close it with
/// [`commit`](Self::commit) or [`revert`](Self::revert); at the end of a transaction call
/// [`finalize`](Self::finalize).
///
/// All collections are ordered (`BTreeMap`/`BTreeSet`), so iteration is deterministic.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    accounts: BTreeMap<H160, Account>,
    journal: Journal,
    logs: Vec<Log>,
    touched: BTreeSet<H160>,
    selfdestructed: BTreeSet<H160>,
    refund: u64,
}

impl FromIterator<(H160, Account)> for WorldState {
    fn from_iter<I: IntoIterator<Item = (H160, Account)>>(iter: I) -> Self {
        Self::from_accounts(iter.into_iter().collect())
    }
}

impl WorldState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// A state holding `accounts`, with an empty journal.
    pub fn from_accounts(accounts: BTreeMap<H160, Account>) -> Self {
        Self {
            accounts,
            ..Self::default()
        }
    }

    /// Inserts or replaces an account without journaling or touching it (for loading a
    /// pre-state, not for use during execution).
    pub fn insert_account(&mut self, address: H160, account: Account) {
        self.accounts.insert(address, account);
    }

    // ----- Reads -----

    /// All accounts, ordered by address.
    pub fn accounts(&self) -> &BTreeMap<H160, Account> {
        &self.accounts
    }

    /// Consumes the state and returns its accounts.
    pub fn into_accounts(self) -> BTreeMap<H160, Account> {
        self.accounts
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: H160) -> Option<&Account> {
        self.accounts.get(&address)
    }

    /// Whether an account exists at `address` (even an empty one).
    pub fn exists(&self, address: H160) -> bool {
        self.accounts.contains_key(&address)
    }

    /// Whether `address` is missing or empty per EIP-161 (nonce 0, balance 0, no code).
    pub fn is_empty_account(&self, address: H160) -> bool {
        self.account(address).is_none_or(Account::is_empty)
    }

    /// Balance of `address` (zero if missing).
    pub fn balance(&self, address: H160) -> U256 {
        self.account(address).map(|a| a.balance).unwrap_or_default()
    }

    /// Nonce of `address` (zero if missing).
    pub fn nonce(&self, address: H160) -> u64 {
        self.account(address).map(|a| a.nonce).unwrap_or_default()
    }

    /// Code of `address` (empty if missing); a cheap shared clone.
    pub fn code(&self, address: H160) -> Code {
        self.account(address)
            .map(|a| a.code.clone())
            .unwrap_or_default()
    }

    /// Code hash of `address`, or `None` if the account does not exist.
    pub fn code_hash(&self, address: H160) -> Option<H256> {
        self.account(address).map(Account::code_hash)
    }

    /// Storage slot `key` of `address` (zero if unset or missing).
    pub fn storage(&self, address: H160, key: H256) -> H256 {
        self.account(address)
            .map(|a| a.storage_value(&key))
            .unwrap_or_default()
    }

    /// Logs emitted so far in this transaction (reverted frames' logs are gone).
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Accounts touched in this transaction.
    pub fn touched(&self) -> &BTreeSet<H160> {
        &self.touched
    }

    /// Accounts self-destructed in this transaction.
    pub fn selfdestructed(&self) -> &BTreeSet<H160> {
        &self.selfdestructed
    }

    /// Whether `address` self-destructed in this transaction.
    pub fn is_selfdestructed(&self, address: H160) -> bool {
        self.selfdestructed.contains(&address)
    }

    /// The gas refund counter of this transaction (before any cap).
    pub fn refund(&self) -> u64 {
        self.refund
    }

    /// The journal since the start of the transaction.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    // ----- Checkpoints -----

    /// Opens a checkpoint (one per nested call or create).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            entries: self.journal.len(),
            logs: self.logs.len(),
        }
    }

    /// Keeps the changes since `checkpoint`. They stay in the journal, so reverting an
    /// enclosing checkpoint still undoes them.
    pub fn commit(&mut self, _checkpoint: Checkpoint) {}

    /// Undoes every change since `checkpoint`, newest first, and drops the logs emitted since.
    /// A checkpoint already undone by an enclosing revert is a no-op.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        self.logs.truncate(checkpoint.logs);
        let mut journal = std::mem::take(&mut self.journal);
        for entry in journal.unwind_to(checkpoint.entries) {
            self.undo(entry);
        }
        self.journal = journal;
    }

    /// Applies the inverse of one journal entry.
    fn undo(&mut self, entry: JournalEntry) {
        match entry {
            JournalEntry::AccountCreated { address, previous } => match previous {
                Some(account) => {
                    self.accounts.insert(address, *account);
                }
                None => {
                    self.accounts.remove(&address);
                }
            },
            JournalEntry::AccountRemoved { address, account } => {
                self.accounts.insert(address, *account);
            }
            JournalEntry::BalanceChange { address, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.balance = old;
                }
            }
            JournalEntry::NonceChange { address, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.nonce = old;
                }
            }
            JournalEntry::CodeChange { address, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.code = old;
                }
            }
            JournalEntry::StorageChange { address, key, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    write_slot(&mut a.storage, key, old);
                }
            }
            JournalEntry::Touched { address } => {
                self.touched.remove(&address);
            }
            JournalEntry::SelfDestructed { address } => {
                self.selfdestructed.remove(&address);
            }
            JournalEntry::RefundChange { old } => self.refund = old,
        }
    }

    // ----- Writes -----

    /// Marks `address` touched (for EIP-161) without changing it.
    pub fn touch(&mut self, address: H160) {
        if self.touched.insert(address) {
            self.journal.push(JournalEntry::Touched { address });
        }
    }

    /// The account at `address` for writing: touched, and created (journaled) if missing.
    fn account_mut(&mut self, address: H160) -> (&mut Account, &mut Journal) {
        self.touch(address);
        let journal = &mut self.journal;
        let account = self.accounts.entry(address).or_insert_with(|| {
            journal.push(JournalEntry::AccountCreated {
                address,
                previous: None,
            });
            Account::default()
        });
        (account, journal)
    }

    /// Creates a fresh account at `address` for a contract creation. An existing balance is
    /// kept; storage, code and nonce start empty.
    ///
    /// # Errors
    /// [`StateError::AddressCollision`] if an account with a nonce or code is there.
    pub fn create_account(&mut self, address: H160) -> Result<(), StateError> {
        let previous = self.accounts.get(&address);
        if previous.is_some_and(|a| a.nonce != 0 || !a.code.is_empty()) {
            return Err(StateError::AddressCollision { address });
        }
        let fresh = Account::with_balance(previous.map(|a| a.balance).unwrap_or_default());
        self.touch(address);
        let previous = self.accounts.insert(address, fresh).map(Box::new);
        self.journal
            .push(JournalEntry::AccountCreated { address, previous });
        Ok(())
    }

    /// Sets the balance of `address`.
    pub fn set_balance(&mut self, address: H160, balance: U256) {
        let (account, journal) = self.account_mut(address);
        journal.push(JournalEntry::BalanceChange {
            address,
            old: account.balance,
        });
        account.balance = balance;
    }

    /// Credits `value` to `address`, creating it if missing (so a zero credit still creates
    /// and touches it, as in geth).
    ///
    /// # Errors
    /// [`StateError::BalanceOverflow`] if the balance would exceed 2^256 - 1.
    pub fn add_balance(&mut self, address: H160, value: U256) -> Result<(), StateError> {
        let new = self
            .balance(address)
            .checked_add(value)
            .ok_or(StateError::BalanceOverflow { address })?;
        if value.is_zero() {
            self.account_mut(address);
        } else {
            self.set_balance(address, new);
        }
        Ok(())
    }

    /// Debits `value` from `address`. A zero debit changes and touches nothing.
    ///
    /// # Errors
    /// [`StateError::InsufficientBalance`] if the balance is below `value`.
    pub fn sub_balance(&mut self, address: H160, value: U256) -> Result<(), StateError> {
        if value.is_zero() {
            return Ok(());
        }
        let balance = self.balance(address);
        let new = balance
            .checked_sub(value)
            .ok_or(StateError::InsufficientBalance {
                address,
                balance,
                required: value,
            })?;
        self.set_balance(address, new);
        Ok(())
    }

    /// Moves `value` from `from` to `to` (which is created and touched even for zero).
    ///
    /// # Errors
    /// [`StateError::InsufficientBalance`] or [`StateError::BalanceOverflow`]; the state is
    /// unchanged then.
    pub fn transfer(&mut self, from: H160, to: H160, value: U256) -> Result<(), StateError> {
        let balance = self.balance(from);
        if balance < value {
            return Err(StateError::InsufficientBalance {
                address: from,
                balance,
                required: value,
            });
        }
        if from != to && self.balance(to).checked_add(value).is_none() {
            return Err(StateError::BalanceOverflow { address: to });
        }
        self.sub_balance(from, value)?;
        self.add_balance(to, value)
    }

    /// Sets the nonce of `address`.
    pub fn set_nonce(&mut self, address: H160, nonce: u64) {
        let (account, journal) = self.account_mut(address);
        journal.push(JournalEntry::NonceChange {
            address,
            old: account.nonce,
        });
        account.nonce = nonce;
    }

    /// Increments the nonce of `address` and returns the value before the increment.
    ///
    /// # Errors
    /// [`StateError::NonceOverflow`] if the nonce is already `u64::MAX`.
    pub fn inc_nonce(&mut self, address: H160) -> Result<u64, StateError> {
        let old = self.nonce(address);
        let new = old
            .checked_add(1)
            .ok_or(StateError::NonceOverflow { address })?;
        self.set_nonce(address, new);
        Ok(old)
    }

    /// Sets the code of `address`.
    pub fn set_code(&mut self, address: H160, code: impl Into<Code>) {
        let code = code.into();
        let (account, journal) = self.account_mut(address);
        let old = std::mem::replace(&mut account.code, code);
        journal.push(JournalEntry::CodeChange { address, old });
    }

    /// Writes storage slot `key` of `address` (zero clears it) and returns the previous value.
    pub fn set_storage(&mut self, address: H160, key: H256, value: H256) -> H256 {
        let (account, journal) = self.account_mut(address);
        let old = write_slot(&mut account.storage, key, value);
        if old != value {
            journal.push(JournalEntry::StorageChange { address, key, old });
        }
        old
    }

    /// Appends a log.
    pub fn emit_log(&mut self, log: Log) {
        self.logs.push(log);
    }

    /// Adds to the gas refund counter (saturating).
    pub fn add_refund(&mut self, amount: u64) {
        self.journal
            .push(JournalEntry::RefundChange { old: self.refund });
        self.refund = self.refund.saturating_add(amount);
    }

    /// Self-destructs `address` (pre-Cancun rules): its whole balance goes to `beneficiary`
    /// (created and touched if missing), then its balance becomes zero, so the balance is
    /// burnt if `beneficiary == address`. The account stays readable until
    /// [`finalize`](Self::finalize) deletes it. Returns whether this is its first
    /// self-destruct in the transaction (the refund is due only then).
    ///
    /// # Errors
    /// [`StateError::BalanceOverflow`] if the beneficiary cannot hold the balance; the state
    /// is unchanged then.
    pub fn selfdestruct(&mut self, address: H160, beneficiary: H160) -> Result<bool, StateError> {
        let balance = self.balance(address);
        self.add_balance(beneficiary, balance)?;
        if self.exists(address) {
            self.set_balance(address, U256::zero());
        }
        let first = self.selfdestructed.insert(address);
        if first {
            self.journal.push(JournalEntry::SelfDestructed { address });
        }
        Ok(first)
    }

    // ----- End of transaction -----

    /// Deletes every self-destructed account (journaled; the set itself is kept).
    pub fn remove_selfdestructed(&mut self) {
        let targets: Vec<H160> = self.selfdestructed.iter().copied().collect();
        self.remove_accounts(targets);
    }

    /// EIP-158/161: deletes every touched account that is empty (journaled; the touched set
    /// itself is kept).
    pub fn remove_touched_empty(&mut self) {
        let targets: Vec<H160> = self
            .touched
            .iter()
            .copied()
            .filter(|a| self.accounts.get(a).is_some_and(Account::is_empty))
            .collect();
        self.remove_accounts(targets);
    }

    /// Deletes the given accounts, journaling each deletion.
    fn remove_accounts(&mut self, addresses: Vec<H160>) {
        for address in addresses {
            if let Some(account) = self.accounts.remove(&address) {
                self.journal.push(JournalEntry::AccountRemoved {
                    address,
                    account: Box::new(account),
                });
            }
        }
    }

    /// Ends a transaction under Spurious Dragon and later rules (so Byzantium): deletes the
    /// self-destructed accounts, then the touched empty ones, clears the journal, the touched
    /// and self-destructed sets and the refund counter, and returns the logs.
    pub fn finalize(&mut self) -> Vec<Log> {
        self.remove_selfdestructed();
        self.remove_touched_empty();
        self.journal.clear();
        self.touched.clear();
        self.selfdestructed.clear();
        self.refund = 0;
        std::mem::take(&mut self.logs)
    }
}

/// Writes a slot, removing it for zero; returns the previous value.
fn write_slot(storage: &mut BTreeMap<H256, H256>, key: H256, value: H256) -> H256 {
    let old = if value.is_zero() {
        storage.remove(&key)
    } else {
        storage.insert(key, value)
    };
    old.unwrap_or_default()
}
