//! Cost rules: what each instruction and each dynamic operation costs, and whether floats are allowed.
//!
//! | Item | [`EwasmRules`] (default) |
//! |---|---|
//! | every instruction, including `block`/`loop`/`if`/`br*`/`call*`/`memory.grow` | 1 gas |
//! | `else`, `end` | 0 (they close a region; every region is charged at least 1) |
//! | `memory.grow` | + 262144 gas per requested 64 KiB page (sentinel-rs), charged before growing |
//! | `memory.copy`, `memory.fill`, `memory.init` | + 3 gas per started 32-byte word of the length operand |
//! | `table.copy`, `table.fill`, `table.init`, `table.grow` | + 3 gas per element of the count operand |
//! | floating-point types and instructions | rejected |
//!
//! The bulk-memory rows are ewvm's extension: bulk memory postdates Ewasm, so no historical table
//! prices it. They follow the EVM's `CALLDATACOPY`/`MCOPY` word price (3 gas per 32-byte word) and
//! are charged, like `memory.grow`, by an injected helper before the operation runs, with the
//! operand as given (even if the operation then traps). Per-unit costs are `u64`; a rule set whose
//! largest possible single charge exceeds `i64::MAX` is rejected at injection time.

use core::fmt::Debug;
use wasmparser::{BlockType, Operator, ValType};

/// Gas per 64 KiB page requested by `memory.grow` under [`EwasmRules`] (sentinel-rs: 256 · 1024).
pub const EWASM_GROW_COST_PER_PAGE: u64 = 262_144;
/// Gas per started 32-byte word of `memory.copy/fill/init` under [`EwasmRules`].
pub const EWASM_MEMORY_COST_PER_WORD: u64 = 3;
/// Gas per element of `table.copy/fill/init/grow` under [`EwasmRules`].
pub const EWASM_TABLE_COST_PER_ELEMENT: u64 = 3;

/// A pluggable cost table; every method except [`CostRules::instruction_cost`] defaults to Ewasm's value.
pub trait CostRules: Debug + Send + Sync {
    /// Static gas of one instruction (never called for `else`/`end`), or `None` to forbid it.
    fn instruction_cost(&self, op: &Operator<'_>) -> Option<u32>;

    /// Gas per page requested by `memory.grow`; 0 leaves `memory.grow` in place, uncharged.
    fn grow_cost_per_page(&self) -> u64 {
        EWASM_GROW_COST_PER_PAGE
    }

    /// Gas per started 32-byte word of `memory.copy/fill/init`; 0 injects no helper.
    fn memory_cost_per_word(&self) -> u64 {
        EWASM_MEMORY_COST_PER_WORD
    }

    /// Gas per element of `table.copy/fill/init/grow`; 0 injects no helper.
    fn table_cost_per_element(&self) -> u64 {
        EWASM_TABLE_COST_PER_ELEMENT
    }

    /// Whether `f32`/`f64` types and instructions are accepted (if not, they are an error).
    fn allows_floats(&self) -> bool {
        false
    }
}

/// The `ewasm` rule set: sentinel-rs costs (1 gas per instruction), floats forbidden.
#[derive(Clone, Copy, Debug, Default)]
pub struct EwasmRules;

impl CostRules for EwasmRules {
    fn instruction_cost(&self, _op: &Operator<'_>) -> Option<u32> {
        Some(1)
    }
}

/// Ewasm costs with floats allowed: for metering general Wasm such as the spec test suite.
#[derive(Clone, Copy, Debug, Default)]
pub struct PermissiveRules;

impl CostRules for PermissiveRules {
    fn instruction_cost(&self, op: &Operator<'_>) -> Option<u32> {
        EwasmRules.instruction_cost(op)
    }

    fn allows_floats(&self) -> bool {
        true
    }
}

/// The name of `op`'s `VisitOperator` method, e.g. `visit_f32_add`.
fn visit_name(op: &Operator<'_>) -> &'static str {
    macro_rules! define_visit_name {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $( Operator::$op { .. } => stringify!($visit), )*
                _ => "visit_unknown",
            }
        };
    }
    wasmparser::for_each_operator!(define_visit_name)
}

/// Whether `op`'s mnemonic names `f32` or `f64` (decided per operator kind at compile time).
pub(crate) fn is_float_named(op: &Operator<'_>) -> bool {
    macro_rules! define_is_float_named {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $( Operator::$op { .. } => const { names_float(stringify!($visit)) }, )*
                _ => false,
            }
        };
    }
    wasmparser::for_each_operator!(define_is_float_named)
}

/// Whether `name` contains `f32` or `f64`.
const fn names_float(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == b'f' && matches!((b[i + 1], b[i + 2]), (b'3', b'2') | (b'6', b'4')) {
            return true;
        }
        i += 1;
    }
    false
}

/// The text-format spelling of `op`'s mnemonic, e.g. `f32.add` or `br_if`.
pub(crate) fn instruction_name(op: &Operator<'_>) -> String {
    const NAMESPACES: [&str; 11] = [
        "i32_", "i64_", "f32_", "f64_", "memory_", "table_", "local_", "global_", "ref_", "data_",
        "elem_",
    ];
    let name = visit_name(op).trim_start_matches("visit_");
    match NAMESPACES.iter().find(|ns| name.starts_with(**ns)) {
        Some(ns) => format!("{}.{}", &ns[..ns.len() - 1], &name[ns.len()..]),
        None => name.to_owned(),
    }
}

/// Whether `ty` is `f32` or `f64`.
pub(crate) fn is_float_type(ty: ValType) -> bool {
    matches!(ty, ValType::F32 | ValType::F64)
}

/// Whether `op` produces, consumes or names a floating-point value.
///
/// Every float instruction has `f32`/`f64` in its name; the only others that can name a float
/// type are `select` with a type annotation and blocks with an inline result type. Instructions
/// that merely pass values along (`local.get`, `drop`, `call`, ...) cannot see a float once float
/// types are rejected in signatures, locals and globals.
pub(crate) fn is_float_op(op: &Operator<'_>) -> bool {
    is_float_named(op)
        || match op {
            Operator::TypedSelect { ty } => is_float_type(*ty),
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                matches!(blockty, BlockType::Type(ty) if is_float_type(*ty))
            }
            _ => false,
        }
}
