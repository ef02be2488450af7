//! ewvm: a deterministic Ewasm (Ethereum-flavoured WebAssembly) smart-contract executor.
//!
//! Layers, each knowing only the ones below it:
//! - [`wasm`]: the deterministic WebAssembly interpreter.
//! - [`metering`]: gas metering injected at deployment, and the stack-height limiter.
//! - [`state`]: the world state, its journal and the Merkle-Patricia state root.
//! - [`ewasm`]: the EEI host modules, contract validation and message semantics over a `Host`.
//! - [`statetest`]: the JSON state-test harness (`ewvm statetest`): Byzantium transactions,
//!   state root, logs hash and `expect` checks over the EEI.
//! - `evmc` (feature `evmc`, on by default): ewvm as an EVMC VM, `libewvm.so`.

#[cfg(feature = "evmc")]
pub mod evmc;
pub mod ewasm;
pub mod metering;
pub mod state;
pub mod statetest;
pub mod wasm;
pub mod wast;
