//! Conversions between EVMC's C types (ABI 9) and the [`ewasm`](crate::ewasm) types.
//!
//! ABI 9 has one address per message, `destination`. A VM receives the account it runs for
//! there (the new account for a creation); a VM *sending* a call puts the account whose code is
//! called there, also for `CALLCODE` and `DELEGATECALL` (whose storage context is the caller's;
//! the host knows it from the calling frame), and zero for a creation. ABI 10 split this into
//! `recipient` and `code_address`, which is how [`Message`] names the two.

use std::fmt;

use evmc_sys as ffi;
use primitive_types::{H160, H256, U256};

use crate::ewasm::{CallKind, ExecutionResult, Failure, Message, StorageStatus, TxContext};

/// Why an incoming `evmc_message` cannot be executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// `flags` has bits other than `EVMC_STATIC`.
    #[error("unknown message flags {0:#x}")]
    UnknownFlags(u32),
    /// `depth` is negative.
    #[error("negative call depth {0}")]
    NegativeDepth(i32),
    /// `input_data` is null but `input_size` is not zero.
    #[error("null input with size {0}")]
    NullInput(usize),
}

/// An EVMC address as an `H160`.
pub(crate) fn h160(address: &ffi::evmc_address) -> H160 {
    H160(address.bytes)
}

/// An `H160` as an EVMC address.
pub(crate) fn address(address: &H160) -> ffi::evmc_address {
    ffi::evmc_address { bytes: address.0 }
}

/// An EVMC 32-byte word as an `H256`.
pub(crate) fn h256(word: &ffi::evmc_bytes32) -> H256 {
    H256(word.bytes)
}

/// An `H256` as an EVMC 32-byte word.
pub(crate) fn bytes32(word: &H256) -> ffi::evmc_bytes32 {
    ffi::evmc_bytes32 { bytes: word.0 }
}

/// An EVMC big-endian 256-bit integer as a `U256`.
pub(crate) fn u256(value: &ffi::evmc_uint256be) -> U256 {
    U256::from_big_endian(&value.bytes)
}

/// A `U256` as an EVMC big-endian 256-bit integer.
pub(crate) fn uint256be(value: &U256) -> ffi::evmc_uint256be {
    ffi::evmc_uint256be {
        bytes: value.to_big_endian(),
    }
}

/// The transaction context ewvm sees (`block_base_fee` is not visible to the EEI).
pub(crate) fn tx_context(tx: &ffi::evmc_tx_context) -> TxContext {
    TxContext {
        gas_price: u256(&tx.tx_gas_price),
        origin: h160(&tx.tx_origin),
        coinbase: h160(&tx.block_coinbase),
        number: tx.block_number,
        timestamp: tx.block_timestamp,
        gas_limit: tx.block_gas_limit,
        difficulty: u256(&tx.block_difficulty),
        chain_id: u256(&tx.chain_id),
    }
}

/// The storage status an EVMC host reported.
pub(crate) fn storage_status(status: ffi::evmc_storage_status) -> StorageStatus {
    use ffi::evmc_storage_status as S;
    match status {
        S::EVMC_STORAGE_UNCHANGED => StorageStatus::Unchanged,
        S::EVMC_STORAGE_MODIFIED => StorageStatus::Modified,
        S::EVMC_STORAGE_MODIFIED_AGAIN => StorageStatus::ModifiedAgain,
        S::EVMC_STORAGE_ADDED => StorageStatus::Added,
        S::EVMC_STORAGE_DELETED => StorageStatus::Deleted,
    }
}

/// The message a host asks ewvm to execute. `CREATE2` runs like `CREATE` (the host has already
/// derived the address; Ewasm has no `create2`).
///
/// # Errors
/// Unknown flags, a negative depth, or a null input pointer with a non-zero size.
///
/// # Safety
/// `msg.input_data` must point to `msg.input_size` readable bytes unless it is null.
pub(crate) unsafe fn message_in(msg: &ffi::evmc_message) -> Result<Message, MessageError> {
    use ffi::evmc_call_kind as K;
    let static_flag = ffi::evmc_flags::EVMC_STATIC as u32;
    if msg.flags & !static_flag != 0 {
        return Err(MessageError::UnknownFlags(msg.flags));
    }
    let depth = u32::try_from(msg.depth).map_err(|_| MessageError::NegativeDepth(msg.depth))?;
    let input = match (msg.input_data.is_null(), msg.input_size) {
        (_, 0) => Vec::new(),
        (true, size) => return Err(MessageError::NullInput(size)),
        // SAFETY: the caller guarantees `input_size` readable bytes at `input_data`.
        (false, size) => unsafe { std::slice::from_raw_parts(msg.input_data, size) }.to_vec(),
    };
    let kind = match msg.kind {
        K::EVMC_CALL => CallKind::Call,
        K::EVMC_CALLCODE => CallKind::CallCode,
        K::EVMC_DELEGATECALL => CallKind::DelegateCall,
        K::EVMC_CREATE | K::EVMC_CREATE2 => CallKind::Create,
    };
    let destination = h160(&msg.destination);
    Ok(Message {
        kind,
        is_static: msg.flags & static_flag != 0,
        depth,
        gas: msg.gas,
        recipient: destination,
        sender: h160(&msg.sender),
        input,
        value: u256(&msg.value),
        code_address: destination,
    })
}

/// The `evmc_message` for a nested message ewvm sends to the host; it borrows `msg.input`.
pub(crate) fn message_out(msg: &Message) -> ffi::evmc_message {
    use ffi::evmc_call_kind as K;
    let (kind, destination) = match msg.kind {
        CallKind::Call => (K::EVMC_CALL, msg.code_address),
        CallKind::CallCode => (K::EVMC_CALLCODE, msg.code_address),
        CallKind::DelegateCall => (K::EVMC_DELEGATECALL, msg.code_address),
        CallKind::Create => (K::EVMC_CREATE, H160::zero()),
    };
    let (input_data, input_size) = match msg.input.is_empty() {
        true => (std::ptr::null(), 0),
        false => (msg.input.as_ptr(), msg.input.len()),
    };
    ffi::evmc_message {
        kind,
        flags: match msg.is_static {
            true => ffi::evmc_flags::EVMC_STATIC as u32,
            false => 0,
        },
        depth: i32::try_from(msg.depth).unwrap_or(i32::MAX),
        gas: msg.gas,
        destination: address(&destination),
        sender: address(&msg.sender),
        input_data,
        input_size,
        value: uint256be(&msg.value),
        create2_salt: ffi::evmc_bytes32::default(),
    }
}

/// The EVMC status code (ABI 9) for an ewvm status code ([`ExecutionResult::status_code`]).
pub fn status_code(code: i32) -> ffi::evmc_status_code {
    use ffi::evmc_status_code as S;
    const CODES: [ffi::evmc_status_code; 21] = [
        S::EVMC_SUCCESS,
        S::EVMC_FAILURE,
        S::EVMC_REVERT,
        S::EVMC_OUT_OF_GAS,
        S::EVMC_INVALID_INSTRUCTION,
        S::EVMC_UNDEFINED_INSTRUCTION,
        S::EVMC_STACK_OVERFLOW,
        S::EVMC_STACK_UNDERFLOW,
        S::EVMC_BAD_JUMP_DESTINATION,
        S::EVMC_INVALID_MEMORY_ACCESS,
        S::EVMC_CALL_DEPTH_EXCEEDED,
        S::EVMC_STATIC_MODE_VIOLATION,
        S::EVMC_PRECOMPILE_FAILURE,
        S::EVMC_CONTRACT_VALIDATION_FAILURE,
        S::EVMC_ARGUMENT_OUT_OF_RANGE,
        S::EVMC_WASM_UNREACHABLE_INSTRUCTION,
        S::EVMC_WASM_TRAP,
        S::EVMC_INSUFFICIENT_BALANCE,
        S::EVMC_INTERNAL_ERROR,
        S::EVMC_REJECTED,
        S::EVMC_OUT_OF_MEMORY,
    ];
    CODES
        .into_iter()
        .find(|status| *status as i32 == code)
        .unwrap_or(S::EVMC_INTERNAL_ERROR)
}

/// The failure ewvm records for a nested message that ended with a non-success, non-revert
/// EVMC status (the EEI only tells the caller "failure"; the kind is for diagnostics).
fn failure(status: ffi::evmc_status_code) -> Failure {
    use ffi::evmc_status_code as S;
    match status {
        S::EVMC_OUT_OF_GAS => Failure::OutOfGas,
        S::EVMC_INVALID_MEMORY_ACCESS => Failure::InvalidMemoryAccess,
        S::EVMC_CALL_DEPTH_EXCEEDED => Failure::CallDepthExceeded,
        S::EVMC_STATIC_MODE_VIOLATION => Failure::StaticModeViolation,
        S::EVMC_ARGUMENT_OUT_OF_RANGE => Failure::ArgumentOutOfRange,
        S::EVMC_INSUFFICIENT_BALANCE => Failure::InsufficientBalance,
        other => Failure::Internal(format!("nested message ended with {}", StatusName(other))),
    }
}

/// Displays an EVMC status code by its C name.
struct StatusName(ffi::evmc_status_code);

impl fmt::Display for StatusName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self.0, self.0 as i32)
    }
}

/// The result of a nested message the host ran: output copied, then released. Failures keep
/// no gas and no output (EVMC's rule, and what [`ExecutionResult::failure`] gives in process).
///
/// # Safety
/// `result` must come from the host's `call`: `output_data` points to `output_size` readable
/// bytes unless it is null, and `release`, if set, may be called once with `result`.
pub(crate) unsafe fn result_in(result: &ffi::evmc_result) -> ExecutionResult {
    let output = match result.output_data.is_null() || result.output_size == 0 {
        true => Vec::new(),
        // SAFETY: the caller guarantees `output_size` readable bytes at `output_data`.
        false => {
            unsafe { std::slice::from_raw_parts(result.output_data, result.output_size) }.to_vec()
        }
    };
    if let Some(release) = result.release {
        // SAFETY: the caller guarantees `release` may be called once, with this result.
        unsafe { release(result) };
    }
    use ffi::evmc_status_code as S;
    match result.status_code {
        S::EVMC_SUCCESS => ExecutionResult {
            create_address: Some(h160(&result.create_address)),
            ..ExecutionResult::success(result.gas_left, output)
        },
        S::EVMC_REVERT => ExecutionResult::revert(result.gas_left, output),
        other => ExecutionResult::failure(failure(other)),
    }
}

/// The `evmc_result` for a frame ewvm ran (create address left zero: the host derives it).
/// Output goes to a heap buffer freed by the result's `release`; empty output is a null pointer.
pub(crate) fn result_out(result: ExecutionResult) -> ffi::evmc_result {
    let status = status_code(result.status_code());
    let gas_left = match status {
        ffi::evmc_status_code::EVMC_SUCCESS | ffi::evmc_status_code::EVMC_REVERT => result.gas_left,
        _ => 0,
    };
    let (output_data, output_size) = match result.output.is_empty() {
        true => (std::ptr::null(), 0),
        false => {
            let output: Box<[u8]> = result.output.into_boxed_slice();
            let size = output.len();
            (Box::into_raw(output).cast::<u8>().cast_const(), size)
        }
    };
    ffi::evmc_result {
        status_code: status,
        gas_left,
        output_data,
        output_size,
        release: Some(release_result),
        create_address: ffi::evmc_address::default(),
        padding: [0; 4],
    }
}

/// A result with `status`, no gas and no output.
pub(crate) fn status_only(status: ffi::evmc_status_code) -> ffi::evmc_result {
    ffi::evmc_result {
        status_code: status,
        gas_left: 0,
        output_data: std::ptr::null(),
        output_size: 0,
        release: Some(release_result),
        create_address: ffi::evmc_address::default(),
        padding: [0; 4],
    }
}

/// `evmc_result::release` for results made by [`result_out`]: frees the output buffer.
extern "C" fn release_result(result: *const ffi::evmc_result) {
    // SAFETY: a non-null `result` is one of ours (EVMC: `release` is called with the result it
    // belongs to), so a non-null output is a boxed slice of `output_size` bytes, freed once.
    if let Some(result) = unsafe { result.as_ref() } {
        if !result.output_data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(
                result.output_data.cast_mut(),
                result.output_size,
            );
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ewasm::{ContractError, Status};
    use crate::wasm::TrapCode;

    #[test]
    fn every_failure_maps_to_its_hera_status() {
        use ffi::evmc_status_code as S;
        let fail = ExecutionResult::failure;
        let cases = [
            (ExecutionResult::success(5, vec![1]), S::EVMC_SUCCESS),
            (ExecutionResult::revert(5, vec![1]), S::EVMC_REVERT),
            (fail(Failure::OutOfGas), S::EVMC_OUT_OF_GAS),
            (fail(Failure::Trap(TrapCode::Unreachable)), S::EVMC_FAILURE),
            (
                fail(Failure::InvalidMemoryAccess),
                S::EVMC_INVALID_MEMORY_ACCESS,
            ),
            (
                fail(Failure::StaticModeViolation),
                S::EVMC_STATIC_MODE_VIOLATION,
            ),
            (
                fail(Failure::ArgumentOutOfRange),
                S::EVMC_ARGUMENT_OUT_OF_RANGE,
            ),
            (
                fail(Failure::TooManyTopics(5)),
                S::EVMC_CONTRACT_VALIDATION_FAILURE,
            ),
            (
                fail(ContractError::MissingMain.into()),
                S::EVMC_CONTRACT_VALIDATION_FAILURE,
            ),
            (fail(ContractError::NotWasm.into()), S::EVMC_FAILURE),
            (
                fail(Failure::CallDepthExceeded),
                S::EVMC_CALL_DEPTH_EXCEEDED,
            ),
            (
                fail(Failure::InsufficientBalance),
                S::EVMC_INSUFFICIENT_BALANCE,
            ),
            (fail(Failure::CodeSizeExceeded(1)), S::EVMC_FAILURE),
            (
                fail(Failure::Internal(String::new())),
                S::EVMC_INTERNAL_ERROR,
            ),
        ];
        for (result, status) in cases {
            let out = result_out(result.clone());
            assert_eq!(out.status_code, status, "{result:?}");
            assert_eq!(out.gas_left, result.gas_left);
            assert_eq!(out.output_data.is_null(), out.output_size == 0);
            assert_eq!(out.output_size, result.output.len());
            // What a nested message's result looks like to the EEI after the round trip.
            let back = unsafe { result_in(&out) };
            assert_eq!(back.gas_left, result.gas_left);
            assert_eq!(back.output, result.output);
            match result.status {
                Status::Failure(_) => assert!(back.failure_kind().is_some()),
                _ => assert_eq!(back.status, result.status),
            }
        }
        assert_eq!(status_code(42), S::EVMC_INTERNAL_ERROR);
        assert_eq!(status_code(-3), S::EVMC_OUT_OF_MEMORY);
    }

    #[test]
    fn messages_round_trip() {
        let msg = Message {
            is_static: true,
            depth: 3,
            value: U256::from(7),
            ..Message::call(H160::repeat_byte(1), H160::repeat_byte(2), vec![9, 8], 100)
        };
        let out = message_out(&msg);
        assert_eq!(unsafe { message_in(&out) }, Ok(msg.clone()));
        let empty = message_out(&Message {
            input: Vec::new(),
            ..msg
        });
        assert!(empty.input_data.is_null());
        let bad = ffi::evmc_message { flags: 2, ..empty };
        assert_eq!(
            unsafe { message_in(&bad) },
            Err(MessageError::UnknownFlags(2))
        );
        let bad = ffi::evmc_message { depth: -1, ..empty };
        assert_eq!(
            unsafe { message_in(&bad) },
            Err(MessageError::NegativeDepth(-1))
        );
        let bad = ffi::evmc_message {
            input_size: 4,
            ..empty
        };
        assert_eq!(unsafe { message_in(&bad) }, Err(MessageError::NullInput(4)));
    }
}
