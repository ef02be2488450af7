//! Errors of world-state operations.

use primitive_types::{H160, U256};

/// A world-state operation that could not be applied; the state is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A debit or transfer needs more than the account holds.
    #[error("insufficient balance in {address:?}: has {balance}, needs {required}")]
    InsufficientBalance {
        /// The account to be debited.
        address: H160,
        /// Its balance.
        balance: U256,
        /// The amount asked for.
        required: U256,
    },
    /// A credit would take a balance above 2^256 - 1.
    #[error("balance overflow in {address:?}")]
    BalanceOverflow {
        /// The account to be credited.
        address: H160,
    },
    /// The nonce is already 2^64 - 1 and cannot be incremented.
    #[error("nonce overflow in {address:?}")]
    NonceOverflow {
        /// The account whose nonce is at its maximum.
        address: H160,
    },
    /// An account is to be created where one with a nonce or code already exists.
    #[error("address collision: account {address:?} already has a nonce or code")]
    AddressCollision {
        /// The address of the existing account.
        address: H160,
    },
}
