//! The deterministic WebAssembly interpreter.
//!
//! WebAssembly 2.0 without SIMD and threads: MVP, mutable globals, sign extension, saturating
//! float-to-int, multi-value, bulk memory and reference types. Modules are decoded and validated
//! with `wasmparser` and translated once into a compact internal code ([`ir`]) that the executor
//! runs with an explicit frame stack. Nothing here knows about Ethereum: host functions come in
//! through the capability-scoped [`Linker`].
//!
//! ```
//! use ewvm::wasm::{Engine, Linker, Module, Store, Val};
//! let engine = Engine::default();
//! let module = Module::from_wat(&engine, r#"(module (func (export "add") (param i32 i32) (result i32)
//!     local.get 0 local.get 1 i32.add))"#).unwrap();
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new().instantiate(&mut store, &module).unwrap();
//! let add = instance.get_func(&store, "add").unwrap();
//! let mut out = [Val::I32(0)];
//! add.call(&mut store, &[Val::I32(2), Val::I32(3)], &mut out).unwrap();
//! assert_eq!(out[0], Val::I32(5));
//! ```

mod config;
pub(crate) mod decode;
mod error;
mod exec;
mod externals;
mod func;
mod gas;
mod instance;
pub mod ir;
mod linker;
mod module;
pub(crate) mod parallel;
mod store;
mod translate;
mod types;
mod value;

pub use config::{Config, Engine};
pub use error::{CompileError, Error, InstantiationError, LinkError, Trap, TrapCode};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func, IntoHostFn, WasmResults, WasmTy};
pub use gas::{GasCharge, GasFusion, GasHelper};
pub use instance::Instance;
pub use linker::{HostModule, Linker};
pub use module::Module;
pub(crate) use module::ValidatedBodies;
pub use store::{Store, PAGE_SIZE};
pub(crate) use translate::{Constant, Recorded};
pub use types::{ExternType, FuncType, GlobalType, Limits, MemoryType, TableType, ValType};
pub use value::{ExternRef, Val};
