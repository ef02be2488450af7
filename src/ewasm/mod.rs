//! The Ewasm layer: the `ethereum` (and `debug`) host modules, contract validation, and the
//! semantics of calls and creations over a [`Host`].
//!
//! - [`Host`] is the world as EVMC shapes it; [`StateHost`] implements it over the journaled
//!   [`WorldState`](crate::state::WorldState) and runs nested messages by re-entering the
//!   [`Vm`] inside journal checkpoints.
//! - [`Vm::execute`] runs one frame (EVMC `execute`): it validates and compiles the code once per
//!   code hash ([`validate`]), instantiates it with the granted host modules, calls `main`, and
//!   maps how it ended to an [`ExecutionResult`] ([`outcome`]).
//! - [`execute_message`] is the entry point for the state-test harness and the CLI.
//! - [`Tracer`] observes every EEI call of a [`Vm::with_tracer`] ([`trace`]).
//! - [`Metering`] is a setting: `Off` (only EEI calls and `useGas` cost gas, as the Ewasm state
//!   tests were filled) or `Injected` ([`crate::metering::inject`] at deployment and on first
//!   sight of pre-state code, cached per code hash).
//!
//! Decisions against the digests (eei.md, contracts.md): Hera's gas numbers and order of checks;
//! the return-data buffer is cleared by calls that fail early (digest recommendation); deployed
//! output that is not Wasm is stored as is (Hera); `selfDestruct` is a success (Hera); floats are
//! allowed when metering is off (Hera); `callDelegate` gets no value stipend (Hera's would mint
//! 2300 gas). No precompiles or system contracts are installed: Hera
//! left precompiles to the client and reached the Sentinel (0x…0a) only for metering, which ewvm
//! does in process; calls to 0x…01–0x…0b are calls to plain accounts.
//!
//! ```
//! use ewvm::ewasm::{execute_message, Env, Message, Settings, Vm};
//! use ewvm::state::{Account, WorldState};
//! use primitive_types::{H160, H256};
//!
//! let code = wat::parse_str(r#"(module
//!     (import "ethereum" "storageStore" (func $store (param i32 i32)))
//!     (memory 1) (export "memory" (memory 0))
//!     (data (i32.const 63) "\01")
//!     (func (export "main") (call $store (i32.const 0) (i32.const 32))))"#).unwrap();
//! let contract = H160::repeat_byte(0xc0);
//! let mut state = WorldState::new();
//! state.insert_account(contract, Account { code: code.into(), ..Account::default() });
//! let vm = Vm::new(Settings::default());
//! let msg = Message::call(H160::repeat_byte(0xaa), contract, vec![], 100_000);
//! let result = execute_message(&vm, &mut state, &Env::default(), &msg);
//! assert!(result.is_success());
//! assert_eq!(result.gas_left, 100_000 - 20_000);
//! assert_eq!(state.storage(contract, H256::zero()), H256::from_low_u64_be(1));
//! ```

mod debug;
mod eei;
pub mod gas;
mod host;
mod memory;
pub mod outcome;
mod state_host;
pub mod trace;
pub mod validate;
mod vm;

pub use host::{CallKind, Host, Message, StorageStatus, TxContext};
pub use outcome::{ExecutionResult, Failure, Status};
pub use state_host::{execute_message, Env, StateHost, EXECUTION_STACK_SIZE};
pub use trace::{EeiStep, Tracer};
pub use validate::ContractError;
pub use vm::{DebugOutput, Metering, Settings, Vm};
