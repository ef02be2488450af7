//! The EEI gas schedule (Hera `GasSchedule`, eei.md §2) and the host-side message costs.
//!
//! Byzantium / EIP-150 values, except `getBlockHash`, which Hera prices at 800 (EVM: 20).

/// `getGasLeft`, `getAddress` and the other plain getters.
pub const BASE: u64 = 2;
/// Fixed part of the copy functions (`callDataCopy`, `codeCopy`, `returnDataCopy`).
pub const VERYLOW: u64 = 3;
/// Per 32-byte word copied.
pub const COPY_WORD: u64 = 3;
/// `storageLoad`.
pub const STORAGE_LOAD: u64 = 200;
/// `storageStore`, always.
pub const STORAGE_STORE_CHANGE: u64 = 5000;
/// `storageStore` extra when a zero slot becomes non-zero (total 20000).
pub const STORAGE_STORE_CREATE_EXTRA: u64 = 15000;
/// Refund for clearing a storage slot (paid by the host).
pub const STORAGE_CLEAR_REFUND: u64 = 15000;
/// `log`, fixed part.
pub const LOG: u64 = 375;
/// `log`, per topic.
pub const LOG_TOPIC: u64 = 375;
/// `log`, per data byte.
pub const LOG_DATA_BYTE: u64 = 8;
/// `create`.
pub const CREATE: u64 = 32000;
/// `call`, `callCode`, `callDelegate`, `callStatic`.
pub const CALL: u64 = 700;
/// Extra for a call with non-zero value.
pub const VALUE_TRANSFER: u64 = 9000;
/// Gas added to the callee's allowance when value is sent.
pub const VALUE_STIPEND: u64 = 2300;
/// Extra for a value call to (or a self-destruct in favour of) a missing account.
pub const NEW_ACCOUNT: u64 = 25000;
/// `selfDestruct`.
pub const SELFDESTRUCT: u64 = 5000;
/// Refund for the first self-destruct of an account (paid by the host).
pub const SELFDESTRUCT_REFUND: u64 = 24000;
/// `getExternalBalance`.
pub const BALANCE: u64 = 400;
/// `getExternalCodeSize` and the fixed part of `externalCodeCopy`.
pub const EXTCODE: u64 = 700;
/// `getBlockHash`.
pub const BLOCKHASH: u64 = 800;
/// Code deposit, per byte of deployed code (paid to the host after a creation).
pub const CODE_DEPOSIT_BYTE: u64 = 200;
/// EIP-170 limit on deployed code size.
pub const MAX_CODE_SIZE: usize = 24576;
/// Deepest allowed message depth (a frame at this depth cannot call or create).
pub const MAX_CALL_DEPTH: u32 = 1024;

/// Per-word part of copying `len` bytes: `3 * ceil(len / 32)`.
pub fn word_cost(len: u32) -> u64 {
    COPY_WORD * u64::from(len).div_ceil(32)
}

/// Cost of copying `len` bytes with a copy function: `3 + 3 * ceil(len / 32)`.
pub fn copy_cost(len: u32) -> u64 {
    VERYLOW + word_cost(len)
}

/// All but one 64th of `gas` (EIP-150).
pub fn all_but_one_64th(gas: u64) -> u64 {
    gas - gas / 64
}
