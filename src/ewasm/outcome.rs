//! How a message ends: [`ExecutionResult`] with a [`Status`], and the [`Failure`] kinds.
//!
//! Mapping (eei.md §7, contracts.md §3): return from `main` or `finish` = success, with the
//! remaining gas; `selfDestruct` = success with empty output (Hera; the design says trap);
//! `revert` = revert, state rolled back, remaining gas returned, output kept; everything else is
//! a [`Failure`]: state rolled back, all gas consumed, no output.
//!
//! Inside a frame, `finish`, `revert`, `selfDestruct` and every EEI error stop the Wasm code as
//! a typed host error, [`Halt`], carried by the interpreter's `Trap` and taken back out by the
//! executor.

use primitive_types::H160;

use super::validate::ContractError;
use crate::wasm::{Trap, TrapCode};

/// Why a message failed (every kind consumes all gas).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Gas ran out (in `useGas`, an EEI charge or a code deposit).
    #[error("out of gas")]
    OutOfGas,
    /// The Wasm code trapped (`unreachable`, out-of-bounds access, division by zero, ...).
    #[error("wasm trap: {0}")]
    Trap(TrapCode),
    /// An EEI function was given a memory range outside the contract's memory, or a source
    /// range outside call data, code or return data.
    #[error("invalid memory access")]
    InvalidMemoryAccess,
    /// A state change was attempted in a static frame.
    #[error("static mode violation")]
    StaticModeViolation,
    /// An EEI argument was out of range: negative gas, or a value of 2^128 or more.
    #[error("argument out of range")]
    ArgumentOutOfRange,
    /// `log` was called with more than four topics (Hera: contract validation failure).
    #[error("log with {0} topics (at most 4)")]
    TooManyTopics(u32),
    /// The code (or the code deployed by a creation) is not a valid Ewasm contract.
    #[error("invalid contract: {0}")]
    InvalidContract(#[from] ContractError),
    /// The message is deeper than the call depth limit of 1024.
    #[error("call depth exceeded")]
    CallDepthExceeded,
    /// The sender cannot pay the value of the message.
    #[error("insufficient balance for transfer")]
    InsufficientBalance,
    /// A creation targets an address that already has a nonce or code.
    #[error("contract address collision at {0:?}")]
    AddressCollision(H160),
    /// The deployed code is larger than 24576 bytes (EIP-170).
    #[error("deployed code of {0} bytes exceeds the limit of 24576")]
    CodeSizeExceeded(usize),
    /// The host or the engine failed in a way no contract can cause (a bug or a resource limit).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Failure {
    /// The EVMC status code (ABI 9) Hera reports for this failure.
    pub fn status_code(&self) -> i32 {
        match self {
            Failure::OutOfGas => 3,
            Failure::InvalidMemoryAccess => 9,
            Failure::CallDepthExceeded => 10,
            Failure::StaticModeViolation => 11,
            Failure::InvalidContract(ContractError::NotWasm) => 1,
            Failure::InvalidContract(_) | Failure::TooManyTopics(_) => 13,
            Failure::ArgumentOutOfRange => 14,
            Failure::InsufficientBalance => 17,
            Failure::Internal(_) => -1,
            Failure::Trap(_) | Failure::AddressCollision(_) | Failure::CodeSizeExceeded(_) => 1,
        }
    }
}

/// How a message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `main` returned, or `finish` or `selfDestruct` was called.
    Success,
    /// `revert` was called.
    Revert,
    /// Anything else.
    Failure(Failure),
}

/// The result of a message (EVMC `evmc_result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionResult {
    /// How it ended.
    pub status: Status,
    /// Gas left: the unused gas on success and revert, 0 on failure.
    pub gas_left: i64,
    /// `finish`/`revert` data; empty on failure and for a successful creation.
    pub output: Vec<u8>,
    /// The new account of a successful creation.
    pub create_address: Option<H160>,
}

impl ExecutionResult {
    /// A success with `gas_left` and `output`.
    pub fn success(gas_left: i64, output: Vec<u8>) -> Self {
        Self {
            status: Status::Success,
            gas_left,
            output,
            create_address: None,
        }
    }

    /// A revert with `gas_left` and `output`.
    pub fn revert(gas_left: i64, output: Vec<u8>) -> Self {
        Self {
            status: Status::Revert,
            ..Self::success(gas_left, output)
        }
    }

    /// A failure: no gas left, no output.
    pub fn failure(failure: Failure) -> Self {
        Self {
            status: Status::Failure(failure),
            ..Self::success(0, Vec::new())
        }
    }

    /// Whether the message succeeded.
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }

    /// The failure, if the message failed.
    pub fn failure_kind(&self) -> Option<&Failure> {
        match &self.status {
            Status::Failure(f) => Some(f),
            _ => None,
        }
    }

    /// The EVMC status code (ABI 9): 0 success, 2 revert, otherwise [`Failure::status_code`].
    pub fn status_code(&self) -> i32 {
        match &self.status {
            Status::Success => 0,
            Status::Revert => 2,
            Status::Failure(f) => f.status_code(),
        }
    }
}

/// Why an EEI function stopped the Wasm code (a typed host error inside a `Trap`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Halt {
    /// `finish(data)`.
    #[error("finish")]
    Finish(Vec<u8>),
    /// `revert(data)`.
    #[error("revert")]
    Revert(Vec<u8>),
    /// `selfDestruct`: success with empty output.
    #[error("selfDestruct")]
    SelfDestruct,
    /// An EEI error.
    #[error(transparent)]
    Fail(Failure),
}

impl From<Failure> for Trap {
    fn from(failure: Failure) -> Self {
        Trap::host(Halt::Fail(failure))
    }
}

impl From<Halt> for Trap {
    fn from(halt: Halt) -> Self {
        Trap::host(halt)
    }
}

impl Halt {
    /// Turns how `main` ended into a halt: `Ok` is a plain return, engine traps become failures.
    pub(crate) fn from_run(run: Result<(), crate::wasm::Error>) -> Halt {
        let trap = match run {
            Ok(()) => return Halt::Finish(Vec::new()),
            Err(crate::wasm::Error::Trap(trap)) => trap,
            Err(other) => return Halt::Fail(Failure::Internal(other.to_string())),
        };
        match trap.code() {
            Some(TrapCode::OutOfGas) => Halt::Fail(Failure::OutOfGas),
            Some(code) => Halt::Fail(Failure::Trap(code)),
            None => trap
                .downcast::<Halt>()
                .unwrap_or_else(|other| Halt::Fail(Failure::Internal(other.to_string()))),
        }
    }
}
