//! Gas metering injected at deployment, and the stack-height limiter.
//!
//! [`inject`] rewrites a contract so that every region of code first calls the imported
//! `ethereum.useGas(i64)` with that region's cost. It is a pure function of (module bytes,
//! [`Config`]): the same input always gives the same output bytes. It reads with `wasmparser`,
//! writes with `wasm-encoder`'s `Reencode`, and never panics on any input.
//!
//! # Pipeline
//! 1. **Validate** the input with [`FEATURES`] (Wasm 2.0 without SIMD, as the interpreter) and
//!    enforce the rules' float policy and forbidden instructions. Offsets in these errors are
//!    offsets in the input.
//! 2. If the input imports `ethereum.useGas` it is metered already: an error
//!    ([`MeteringError::AlreadyMetered`]) unless [`Config::allow_metered`] is set, in which case the
//!    input comes back unchanged (no limiter, no second metering).
//! 3. **Stack-height limiter** (if [`Config::stack_limit`] is `Some`), *before* gas injection so its
//!    own instructions are metered too. See below.
//! 4. **Gas injection**, then encoding. Errors found here (region cost overflow) carry offsets in
//!    the module after step 3, which equals the input when no function needed limiting.
//!
//! [`compile`] also compiles the output for the interpreter. When steps 3 and 4 ran as the
//! one-pass rewrite, the analysis of step 1 kept every input operator, the values of its
//! constants and the validator's heights, so the output's bodies are handed to the translator as
//! operators with their maximum stack heights, exactly as decoding and validating them would give
//! (only the output's sections are validated again); the translator's first pass, which pools
//! the constants, reads the kept values rather than the operators. The output bytes never leave
//! [`compile`] before this, so nothing from outside can pass for validated code.
//!
//! # Decisions (issue 4; metering.md §3 and §5)
//! - Default rules [`EwasmRules`] = sentinel-rs, the algorithm that ran with Hera on the Ewasm
//!   testnet: 1 gas per instruction; floats forbidden (every `f32`/`f64` instruction, float loads,
//!   stores, conversions and reinterprets, typed `select`/block types naming a float, and float
//!   types in function signatures, locals and globals), each reported with its offset.
//! - Regions (metering.md §3.2): the function body and every `block`/`loop`/`if`/`else` open a
//!   region of initial cost 1 (so every region, even an empty one, costs at least 1), closed by
//!   `end`/`else`. Every other instruction, including the opener itself (charged to the enclosing
//!   region), `br*`, `return` and `call*`, adds its cost to the innermost open region. Branches do
//!   not split regions: a region is charged in full at its start even if control leaves it early.
//!   Code after a nested `end` belongs to the enclosing region. `loop` regions are charged on every
//!   iteration. The injected instructions are not charged. A region cost above `u32::MAX` is an
//!   error.
//! - The charge is `i64.const N; call $useGas` with `0 < N ≤ u32::MAX`, inserted right after the
//!   region's opener (at the very start for the function body).
//! - `ethereum.useGas (param i64)` is appended after all imports with a new type appended to the
//!   type section; every function index `≥` the number of imported functions moves up by one in
//!   calls, `ref.func`, element segments (active, passive, declared; function lists and
//!   expressions), exports, the start section and the `name` section.
//! - `memory.grow` becomes `call $grow` (the corrected i32 helper of metering.md §3.4, 262144 gas
//!   per page); the instruction's own static cost stays in its region. Bulk operations
//!   (`memory.copy/fill/init`, `table.copy/fill/init/grow`) keep their instruction and get a
//!   `call $helper` right before it that charges for their length operand (see [`rules`] for the
//!   table). Helpers are appended after all functions in [`HelperKind::ALL`] order, only for kinds
//!   that the module uses and the rules price (cost > 0). Helpers are not metered themselves.
//! - The `name` section is kept and re-indexed; the injected functions get no names. A `name`
//!   section that does not decode is dropped. Other custom sections are copied unchanged (debug
//!   info that refers to code offsets becomes stale).
//!
//! # Stack-height limiter (metering.md §5, pwasm-utils `stack_height`)
//! The stack cost of a defined function is its number of declared locals (parameters excluded, as
//! in pwasm-utils) plus its maximum operand-stack height as tracked by wasmparser's validator
//! (which, unlike pwasm-utils, also counts values pushed in unreachable code). A new mutable `i32`
//! global `$height` (appended after all globals, starting at 0) holds the total cost of the active
//! calls. Every `call F` with cost `c > 0` becomes
//! `global.get $height; i32.const c; i32.add; global.set $height;
//!  global.get $height; i32.const LIMIT; i32.gt_u; if; unreachable; end;
//!  call F; global.get $height; i32.const c; i32.sub; global.set $height`,
//! so a call traps when the total would exceed `LIMIT` ([`DEFAULT_STACK_LIMIT`] = 1024 value
//! slots unless configured). Every defined function with `c > 0` that is referenced other than by
//! `call` (exports, start, element segments, `ref.func` in code or constant expressions) gets a
//! thunk appended after all functions (`local.get` of each parameter, the checked call, `end`) and
//! every such reference is redirected to the thunk, so entries from the host, `call_indirect` and
//! the start function are counted too. The limiter adds nothing to a module where no function has
//! a stack cost. Thunks are metered like any other function. `LIMIT + c` must fit in a `u32`.
//! After a trap the global is not restored; each call into a contract uses a fresh instance.
//!
//! # Contract with the interpreter (fused metering)
//! [`recognize`] finds, in any module, the [`Layout`]: the function index of an `ethereum.useGas`
//! import of type `(param i64)`, the [`Helper`] functions and the limiter's height global. It recognises a helper by its type
//! `(param i32) (result i32)` and its exact body bytes (those of [`inject`]'s output for the same
//! per-unit cost), so a module from any source can be fused soundly: a function that merely looks
//! similar is not a helper and runs literally. [`instrument`] returns the same layout directly.
//! An engine that binds `useGas` to its own gas counter may then execute, with bit-identical gas
//! used and trap points:
//! - `i64.const N; call $useGas` as "charge N". [`inject`] emits only this form outside helpers,
//!   with `1 ≤ N ≤ u32::MAX`, at the start of each region.
//! - `call $h` for a helper `h`, with the `i32` operand `n` on top of the stack (read as unsigned),
//!   as "charge [`Helper::charge`]`(n)`", which is at most `i64::MAX`:
//!   `n · gas_per_unit` for [`HelperKind::MemoryGrow`] (n pages), `⌈n / 32⌉ · gas_per_unit` for
//!   [`HelperKind::MemoryWords`] and `n · gas_per_unit` for [`HelperKind::TableElements`]. Then,
//!   for `MemoryGrow`, `memory.grow 0` on `n` (its result is the call's result); for the others,
//!   `n` stays on the stack unchanged. The charge comes first, even if the grow then fails or the
//!   bulk operation that follows traps.
//! - The limiter's sequences on the height global ([`Layout::stack_height`]: the last global,
//!   when defined as a mutable `i32` initialised to 0, as the limiter appends it) as single
//!   height updates: the check before a call (whose trap block holds the `if` region's charge
//!   and `unreachable`) and the decrement after it; see [`crate::wasm::GasFusion::stack_height`].
//! - Anything else that reaches `useGas` (a helper run literally, e.g. through `call_indirect` in
//!   a foreign module) charges its argument as the host function would.
//!
//! [`inject`] never adds a helper or `useGas` to a table or export, so in its output every helper
//! and charge is reached by a direct `call`.

mod analyze;
mod blocks;
mod error;
mod helpers;
mod inject;
mod rewrite;
pub mod rules;
mod sections;
mod stack_limit;
#[cfg(test)]
mod tests;

use crate::wasm::decode::forget_all;
use crate::wasm::{Engine, Module, Recorded, ValidatedBodies};
use analyze::{KeptBody, ModuleInfo};
use std::sync::{Arc, Mutex};
use wasmparser::{Operator, WasmFeatures};

pub use error::{CompileMeteredError, MeteringError};
pub use helpers::{Helper, HelperKind, Layout};
pub use rules::{CostRules, EwasmRules, PermissiveRules};

/// The Wasm features accepted: Wasm 2.0 without SIMD (the interpreter's feature set).
pub const FEATURES: WasmFeatures = WasmFeatures::WASM2.difference(WasmFeatures::SIMD);

/// A parser that decodes exactly [`FEATURES`] (e.g. a memory index in a memarg is malformed).
fn parser() -> wasmparser::Parser {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(FEATURES);
    parser
}

/// Default stack-height limit, in value slots (pwasm-utils CLI default).
pub const DEFAULT_STACK_LIMIT: u32 = 1024;

/// Rules and limits for [`inject`]; `Default` is the `ewasm` rule set with a 1024-slot stack limit.
#[derive(Clone, Debug)]
pub struct Config {
    /// The cost table.
    rules: Arc<dyn CostRules>,
    /// Stack-height limit; `None` disables the limiter.
    stack_limit: Option<u32>,
    /// Whether a module that already imports `ethereum.useGas` is passed through unchanged.
    allow_metered: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rules: Arc::new(EwasmRules),
            stack_limit: Some(DEFAULT_STACK_LIMIT),
            allow_metered: false,
        }
    }
}

impl Config {
    /// Uses `rules` as the cost table.
    pub fn rules(mut self, rules: impl CostRules + 'static) -> Self {
        self.rules = Arc::new(rules);
        self
    }

    /// Sets the stack-height limit in value slots; `None` disables the limiter.
    pub fn stack_limit(mut self, limit: Option<u32>) -> Self {
        self.stack_limit = limit;
        self
    }

    /// Accepts (and returns unchanged) modules that already import `ethereum.useGas`.
    pub fn allow_metered(mut self, allow: bool) -> Self {
        self.allow_metered = allow;
        self
    }
}

/// Counts of what [`instrument`] did, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Functions defined by the input module.
    pub functions: u32,
    /// Charges (`i64.const N; call $useGas`) inserted.
    pub regions: u32,
    /// Stack-limiter thunks added.
    pub thunks: u32,
}

/// A metered module, where it charges gas, and what was done.
#[derive(Clone, Debug)]
pub struct Instrumented {
    /// The metered module.
    pub bytes: Vec<u8>,
    /// The useGas import and helpers of `bytes` (equal to `recognize(&bytes)`).
    pub layout: Layout,
    /// Counts for a summary.
    pub stats: Stats,
}

/// Meters `module_bytes` under `config`: the output bytes of [`instrument`].
///
/// # Errors
/// See [`instrument`].
pub fn inject(module_bytes: &[u8], config: &Config) -> Result<Vec<u8>, MeteringError> {
    instrument(module_bytes, config).map(|out| out.bytes)
}

/// Validates, limits the stack of and meters `module_bytes` under `config` (see the module docs).
///
/// # Errors
/// [`MeteringError::Invalid`] for a malformed or invalid module; a float or forbidden instruction
/// or type under the rules; [`MeteringError::AlreadyMetered`]; cost overflows.
pub fn instrument(module_bytes: &[u8], config: &Config) -> Result<Instrumented, MeteringError> {
    let rules = &*config.rules;
    let info = ModuleInfo::analyze(module_bytes, Some(rules))?;
    if info.imports_use_gas {
        return passed_through(module_bytes, info, config);
    }
    if let Ok(out) = rewrite::instrument(module_bytes, &info, rules, config.stack_limit) {
        return Ok(instrumented(out, &info));
    }
    // The reference passes: slower, and they give the documented errors.
    reference(module_bytes, info, config)
}

/// A module metered by [`compile`]: what [`instrument`] returns, and the module compiled.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The metered module, where it charges gas and counts, as [`instrument`] returns them.
    pub instrumented: Instrumented,
    /// The metered module compiled with its charges fused (by [`Layout::fusion`]).
    pub module: Module,
}

/// Meters `module_bytes` as [`instrument`] does and compiles the result for `engine` as
/// `Module::new_with_gas(engine, &bytes, &layout.fusion())` does, with the same code, but
/// without decoding and validating the metered bodies again: the rewriter knows their
/// operators from its validating analysis of the input.
///
/// # Errors
/// [`CompileMeteredError::Metering`] as [`instrument`]; [`CompileMeteredError::Compile`] if the
/// interpreter cannot compile the metered module.
pub fn compile(
    engine: &Engine,
    module_bytes: &[u8],
    config: &Config,
) -> Result<Compiled, CompileMeteredError> {
    let rules = &*config.rules;
    let (info, kept) = ModuleInfo::analyze_keeping_ops(module_bytes, Some(rules), true)?;
    let rewritten = if info.imports_use_gas {
        None
    } else {
        rewrite::Rewriter::new(module_bytes, &info, rules, config.stack_limit)
            .and_then(|mut rewriter| Ok((rewriter.encode()?, rewriter.into_emitter())))
            .ok()
    };
    let Some((out, emitter)) = rewritten else {
        let instrumented = if info.imports_use_gas {
            passed_through(module_bytes, info, config)?
        } else {
            reference(module_bytes, info, config)?
        };
        let fusion = instrumented.layout.fusion();
        let module = Module::new_with_gas(engine, &instrumented.bytes, &fusion)?;
        return Ok(Compiled {
            instrumented,
            module,
        });
    };
    let instrumented = instrumented(out, &info);
    let known = Known {
        emitter,
        kept: kept.into_iter().map(Mutex::new).collect(),
    };
    let fusion = instrumented.layout.fusion();
    let module = Module::new_validated(engine, &instrumented.bytes, &fusion, &known)?;
    Ok(Compiled {
        instrumented,
        module,
    })
}

/// The bodies of the one-pass rewrite's output, from the input's operators and the plan.
struct Known<'a> {
    /// What the edits insert.
    emitter: rewrite::Emitter<'a>,
    /// What the analysis kept of every defined function of the input, until its translation
    /// is done.
    kept: Vec<Mutex<KeptBody<'a>>>,
}

impl<'a: 'x, 'x> ValidatedBodies<'x> for Known<'a> {
    fn shape(&self, index: usize) -> Option<(u32, u32)> {
        self.emitter.body_shape(index).ok()
    }

    fn record(&self, index: usize, run: &mut dyn FnMut(Recorded<'_, 'x>)) -> bool {
        // Each body is translated by one thread: the lock is never contended nor poisoned.
        let Some(Ok(kept)) = self.kept.get(index).map(Mutex::lock) else {
            return false;
        };
        self.emitter.record_body(index, &kept, run).is_ok()
    }

    fn walk(&self, index: usize, run: &mut dyn FnMut(&[Operator<'x>])) -> bool {
        let Some(Ok(kept)) = self.kept.get(index).map(Mutex::lock) else {
            return false;
        };
        self.emitter.walk_body(index, &kept.ops, run).is_ok()
    }

    fn release(&self, index: usize) {
        if let Some(Ok(mut kept)) = self.kept.get(index).map(Mutex::lock) {
            forget_all(&mut kept.ops);
            drop(std::mem::take(&mut *kept));
        }
    }
}

/// The result of the one-pass rewrite of the module described by `info`.
fn instrumented(out: rewrite::Output, info: &ModuleInfo) -> Instrumented {
    Instrumented {
        bytes: out.bytes,
        layout: out.layout,
        stats: Stats {
            functions: info.stack_costs.len() as u32,
            regions: out.regions,
            thunks: out.thunks,
        },
    }
}

/// An input that imports `ethereum.useGas` (described by `info`): unchanged if `config`
/// accepts metered input.
fn passed_through(
    module_bytes: &[u8],
    info: ModuleInfo,
    config: &Config,
) -> Result<Instrumented, MeteringError> {
    if !config.allow_metered {
        return Err(MeteringError::AlreadyMetered);
    }
    Ok(Instrumented {
        bytes: module_bytes.to_vec(),
        stats: Stats {
            functions: info.stack_costs.len() as u32,
            ..Stats::default()
        },
        layout: info.layout,
    })
}

/// The limiter and the gas pass one after the other, each re-encoding the whole module: what
/// the fast path of [`instrument`] must equal.
fn reference(
    module_bytes: &[u8],
    info: ModuleInfo,
    config: &Config,
) -> Result<Instrumented, MeteringError> {
    let rules = &*config.rules;
    let functions = info.stack_costs.len() as u32;
    let limited = match config.stack_limit {
        Some(limit) => stack_limit::limit_stack(module_bytes, &info, limit)?,
        None => None,
    };
    let (bytes, info, thunks) = match &limited {
        Some(out) => (
            &out.bytes[..],
            ModuleInfo::analyze(&out.bytes, Some(rules))?,
            out.thunks,
        ),
        None => (module_bytes, info, 0),
    };
    let gas = inject::inject_gas(bytes, &info, rules)?;
    Ok(Instrumented {
        bytes: gas.bytes,
        layout: gas.layout,
        stats: Stats {
            functions,
            regions: gas.regions,
            thunks,
        },
    })
}

/// Validates any module and finds its gas import and helpers (the fusion contract above).
///
/// # Errors
/// [`MeteringError::Invalid`] for a malformed or invalid module, and
/// [`MeteringError::BadUseGasImport`] if `ethereum.useGas` is imported with another type.
pub fn recognize(module_bytes: &[u8]) -> Result<Layout, MeteringError> {
    Ok(ModuleInfo::analyze(module_bytes, None)?.layout)
}
