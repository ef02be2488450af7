//! The host interface the EEI is written against, shaped like EVMC's (`evmc_host_interface`).
//!
//! One [`Host`] trait serves every embedding: [`StateHost`](super::StateHost) implements it over
//! the in-memory [`WorldState`](crate::state::WorldState), and an EVMC host can implement it over
//! EVMC's callbacks. Addresses, storage keys and values are plain big-endian byte arrays
//! (`H160`/`H256`), amounts are `U256`, gas is `i64` as in EVMC.

use primitive_types::{H160, H256, U256};

use super::outcome::ExecutionResult;

/// The kind of a message (EVMC `evmc_call_kind`, without `CREATE2`, which Ewasm lacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A call: runs the code of `code_address` in the context of `recipient`.
    Call,
    /// `callCode`: runs the code of `code_address` on the caller's own storage, with a value.
    CallCode,
    /// `callDelegate`: like `CallCode`, keeping the caller's sender and value.
    DelegateCall,
    /// A contract creation: `input` is the init code.
    Create,
}

/// A message to execute (EVMC `evmc_message`, ABI 10 field names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What kind of message.
    pub kind: CallKind,
    /// Whether state changes are forbidden (EVMC `EVMC_STATIC`).
    pub is_static: bool,
    /// Call depth: 0 for the transaction's own message.
    pub depth: u32,
    /// Gas available to the message.
    pub gas: i64,
    /// The account whose storage and balance the code works on (ignored for `Create`, whose
    /// recipient is derived from the sender and its nonce).
    pub recipient: H160,
    /// The caller (`getCaller`).
    pub sender: H160,
    /// Call data, or the init code for `Create`.
    pub input: Vec<u8>,
    /// Value transferred (for `DelegateCall`: the apparent value of the caller's frame).
    pub value: U256,
    /// The account whose code runs (equal to `recipient` for `Call`; unused for `Create`).
    pub code_address: H160,
}

impl Message {
    /// A plain call from `sender` to `recipient` at depth 0, with no value.
    pub fn call(sender: H160, recipient: H160, input: Vec<u8>, gas: i64) -> Self {
        Self {
            kind: CallKind::Call,
            is_static: false,
            depth: 0,
            gas,
            recipient,
            sender,
            input,
            value: U256::zero(),
            code_address: recipient,
        }
    }

    /// A creation by `sender` at depth 0 with `init_code`, no value.
    pub fn create(sender: H160, init_code: Vec<u8>, gas: i64) -> Self {
        Self {
            kind: CallKind::Create,
            recipient: H160::zero(),
            code_address: H160::zero(),
            ..Self::call(sender, H160::zero(), init_code, gas)
        }
    }

    /// The same message carrying `value`.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// Transaction and block facts (EVMC `evmc_tx_context`, the fields Byzantium has).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxContext {
    /// Gas price of the transaction (`getTxGasPrice`).
    pub gas_price: U256,
    /// Originating account (`getTxOrigin`).
    pub origin: H160,
    /// Block beneficiary (`getBlockCoinbase`).
    pub coinbase: H160,
    /// Block number (`getBlockNumber`).
    pub number: i64,
    /// Block timestamp (`getBlockTimestamp`).
    pub timestamp: i64,
    /// Block gas limit (`getBlockGasLimit`).
    pub gas_limit: i64,
    /// Block difficulty (`getBlockDifficulty`; `prev_randao` in newer EVMC).
    pub difficulty: U256,
    /// Chain id (not visible to the EEI; kept for EVMC parity).
    pub chain_id: U256,
}

/// Effect of a storage write (EVMC `evmc_storage_status`, pre-EIP-2200 meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageStatus {
    /// The value did not change.
    Unchanged,
    /// A non-zero value was replaced by another non-zero value.
    Modified,
    /// A slot already modified in this transaction was modified again (net metering only;
    /// [`StateHost`](super::StateHost) never reports it).
    ModifiedAgain,
    /// A zero slot became non-zero.
    Added,
    /// A non-zero slot became zero.
    Deleted,
}

impl StorageStatus {
    /// The status of writing `new` over `current`.
    pub fn of(current: H256, new: H256) -> Self {
        match (current.is_zero(), new.is_zero()) {
            _ if current == new => StorageStatus::Unchanged,
            (true, false) => StorageStatus::Added,
            (false, true) => StorageStatus::Deleted,
            _ => StorageStatus::Modified,
        }
    }
}

/// What the EEI needs from the world: accounts, storage, nested messages, logs and context.
pub trait Host {
    /* Accounts */

    /// Whether an account exists at `address`.
    fn account_exists(&self, address: &H160) -> bool;
    /// Balance of `address` (zero if missing).
    fn get_balance(&self, address: &H160) -> U256;
    /// Size of the code at `address`.
    fn get_code_size(&self, address: &H160) -> usize;
    /// `keccak256` of the code at `address` (zero if the account does not exist).
    fn get_code_hash(&self, address: &H160) -> H256;
    /// Copies the code at `address` from `offset` into `buffer`; returns the bytes copied.
    fn copy_code(&self, address: &H160, offset: usize, buffer: &mut [u8]) -> usize;

    /* Storage */

    /// Storage slot `key` of `address`.
    fn get_storage(&self, address: &H160, key: &H256) -> H256;
    /// Writes storage slot `key` of `address`; refunds for clearing are the host's job.
    fn set_storage(&mut self, address: &H160, key: &H256, value: &H256) -> StorageStatus;

    /* Journal */

    /// Self-destructs `address`, sending its balance to `beneficiary`.
    fn selfdestruct(&mut self, address: &H160, beneficiary: &H160);
    /// Executes a nested message (call or create) and returns its result.
    fn call(&mut self, message: &Message) -> ExecutionResult;
    /// Records a log emitted by `address`.
    fn emit_log(&mut self, address: &H160, data: &[u8], topics: &[H256]);

    /* Block and transaction */

    /// The transaction and block context.
    fn get_tx_context(&self) -> TxContext;
    /// Hash of block `number`, or zero if it is not one of the 256 most recent blocks.
    fn get_block_hash(&self, number: i64) -> H256;
}
