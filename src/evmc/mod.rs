//! ewvm as an EVMC VM (EVMC ABI 9): the `cdylib` `libewvm.so` exports [`evmc_create_ewvm`].
//!
//! - Capability `ewasm` only; name `ewvm`, version the crate's.
//! - `execute` runs the code through the same [`Vm`](crate::ewasm::Vm) and EEI as the in-memory
//!   path, over [`EvmcHost`], the EEI's [`Host`](crate::ewasm::Host) on the EVMC host's
//!   callbacks. Nested calls and creations go to the host's `call`, which re-enters `execute`
//!   on the same thread, so a host running deep call chains needs a large stack (as
//!   [`EXECUTION_STACK_SIZE`](crate::ewasm::EXECUTION_STACK_SIZE) is for the in-memory path).
//! - Status: [`ExecutionResult::status_code`](crate::ewasm::ExecutionResult::status_code)
//!   (eei.md §7, Hera's mapping); `gas_left` is 0 unless the status is success or revert; empty
//!   output is a null pointer; `create_address` is zero (the host derives it).
//! - Non-Wasm code (no `\0asm` preamble): `EVMC_FAILURE` with no gas by default (ewvm runs only
//!   Ewasm, so such code is an invalid contract, as in Hera's default `evm1mode=reject`);
//!   `EVMC_REJECTED` with option `evm1mode=fallback`, for clients that route EVM code to
//!   another VM. Checked before the host interface is looked at.
//! - A null host interface, one lacking a callback the EEI uses, a malformed message (unknown
//!   flags, negative depth, null input with a size) or a panic (a bug): `EVMC_INTERNAL_ERROR`.
//! - Options ([`Options`]): `metering`, `debug`, `evm1mode`.
//!
//! The entry points are written over `evmc-sys` directly rather than with `evmc-declare` 9.0.0,
//! whose generated code leaves `set_option` null, aborts the process on a null message, panics
//! on a missing host callback and re-boxes the instance on every (re-entrant) `execute`.

mod convert;
mod host;
mod options;
mod vm;

pub use convert::{status_code, MessageError};
pub use evmc_sys as ffi;
pub use host::{EvmcHost, MissingCallback};
pub use options::{Evm1Mode, OptionError, Options};
pub use vm::{evmc_create_ewvm, ABI_VERSION, NAME, VERSION};
