//! The injected helper functions that charge dynamic gas, and how to recognise them again.

use super::error::MeteringError;
use super::rules::CostRules;
use crate::wasm::{GasCharge, GasFusion, GasHelper};
use wasm_encoder::Function;
use wasmparser::{FuncType, FunctionBody, Operator, ValType};

/// What an injected helper computes; every helper has type `(param i32) (result i32)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HelperKind {
    /// Replaces `memory.grow 0`: charges `pages · gas_per_unit`, then grows and returns the result.
    MemoryGrow,
    /// Called just before `memory.copy/fill/init`: charges `⌈len / 32⌉ · gas_per_unit`, returns `len`.
    MemoryWords,
    /// Called just before `table.copy/fill/init/grow`: charges `n · gas_per_unit`, returns `n`.
    TableElements,
}

impl HelperKind {
    /// All kinds, in the order their helpers are appended to the module.
    pub const ALL: [HelperKind; 3] = [Self::MemoryGrow, Self::MemoryWords, Self::TableElements];

    /// The helper an instruction needs, if it has a dynamic cost.
    pub(crate) fn for_op(op: &Operator<'_>) -> Option<Self> {
        match op {
            Operator::MemoryGrow { .. } => Some(Self::MemoryGrow),
            Operator::MemoryCopy { .. }
            | Operator::MemoryFill { .. }
            | Operator::MemoryInit { .. } => Some(Self::MemoryWords),
            Operator::TableCopy { .. }
            | Operator::TableFill { .. }
            | Operator::TableInit { .. }
            | Operator::TableGrow { .. } => Some(Self::TableElements),
            _ => None,
        }
    }

    /// The per-unit cost `rules` give this kind (0 means: inject no helper).
    pub(crate) fn gas_per_unit(self, rules: &dyn CostRules) -> u64 {
        match self {
            Self::MemoryGrow => rules.grow_cost_per_page(),
            Self::MemoryWords => rules.memory_cost_per_word(),
            Self::TableElements => rules.table_cost_per_element(),
        }
    }

    /// Number of charged units for the `i32` operand `n`, read as unsigned.
    pub fn units(self, n: u32) -> u64 {
        match self {
            Self::MemoryWords => u64::from(n).div_ceil(32),
            Self::MemoryGrow | Self::TableElements => u64::from(n),
        }
    }

    /// Checks that one charge of `gas_per_unit` per unit can never exceed `i64::MAX`.
    pub(crate) fn check_cost(self, gas_per_unit: u64) -> Result<(), MeteringError> {
        match gas_per_unit.checked_mul(self.units(u32::MAX)) {
            Some(max) if i64::try_from(max).is_ok() => Ok(()),
            _ => Err(MeteringError::DynamicCostOverflow {
                kind: self,
                gas_per_unit,
            }),
        }
    }

    /// The helper's body. The per-unit cost is the first `i64.const`, which [`recognize_body`] relies on.
    pub(crate) fn body(self, gas_per_unit: u64, use_gas: u32) -> Function {
        let mut f = Function::new([]);
        let mut ins = f.instructions();
        // The cost was checked against `i64::MAX` by `check_cost`; the cast keeps the bits.
        ins.local_get(0)
            .i64_const(gas_per_unit as i64)
            .local_get(0)
            .i64_extend_i32_u();
        if self == Self::MemoryWords {
            ins.i64_const(31).i64_add().i64_const(5).i64_shr_u();
        }
        ins.i64_mul().call(use_gas);
        if self == Self::MemoryGrow {
            ins.memory_grow(0);
        }
        ins.end();
        f
    }
}

/// An injected helper function: its index and what it charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Helper {
    /// Index in the function index space.
    pub func: u32,
    /// What it does.
    pub kind: HelperKind,
    /// Gas per unit (page, word or element).
    pub gas_per_unit: u64,
}

impl Helper {
    /// The helpers for `needed` `(kind, gas_per_unit)` pairs, numbered from function index `first`.
    pub(crate) fn numbered(first: u32, needed: &[(HelperKind, u64)]) -> Vec<Self> {
        (first..)
            .zip(needed)
            .map(|(func, &(kind, gas_per_unit))| Self {
                func,
                kind,
                gas_per_unit,
            })
            .collect()
    }

    /// The exact gas one call charges for the `i32` operand `n` (read as unsigned); never above `i64::MAX`.
    pub fn charge(&self, n: u32) -> u64 {
        // `check_cost` bounds the product for every u32 operand before a helper is built or recognised.
        self.gas_per_unit.saturating_mul(self.kind.units(n))
    }
}

/// Where a metered module charges gas: the `ethereum.useGas` import and the helpers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Function index of the `ethereum.useGas (param i64)` import, if the module imports it.
    pub use_gas: Option<u32>,
    /// The helper functions, by increasing index.
    pub helpers: Vec<Helper>,
    /// The stack-height limiter's global: the module's last global if it is defined as a
    /// mutable `i32` initialised by `i32.const 0` (the shape the limiter appends; the fused
    /// limiter code is exact for any `i32` global, so a look-alike only loses speed).
    pub stack_height: Option<u32>,
}

impl Layout {
    /// The helper with function index `func`, if any.
    pub fn helper(&self, func: u32) -> Option<&Helper> {
        self.helpers.iter().find(|h| h.func == func)
    }

    /// The interpreter's fusion table for this layout, for [`crate::wasm::Module::new_with_gas`]:
    /// `useGas` becomes the store's gas counter, each helper a native charge, and the limiter's
    /// code around calls native height updates.
    pub fn fusion(&self) -> GasFusion {
        let helpers = self.helpers.iter().map(|h| GasHelper {
            func: h.func,
            charge: match h.kind {
                HelperKind::MemoryGrow | HelperKind::TableElements => {
                    GasCharge::PerUnit(h.gas_per_unit)
                }
                HelperKind::MemoryWords => GasCharge::PerWord32(h.gas_per_unit),
            },
            grow_memory: h.kind == HelperKind::MemoryGrow,
        });
        GasFusion {
            charge_import: self.use_gas,
            helpers: helpers.collect(),
            stack_height: self.stack_height,
        }
    }
}

/// Recognises a helper of function `func` by its exact body bytes and type, given useGas's index.
pub(crate) fn recognize_body(
    func: u32,
    ty: &FuncType,
    body: &FunctionBody<'_>,
    use_gas: u32,
) -> Option<Helper> {
    if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
        return None;
    }
    let mut ops = body.get_operators_reader().ok()?;
    let (Ok(Operator::LocalGet { local_index: 0 }), Ok(Operator::I64Const { value })) =
        (ops.read(), ops.read())
    else {
        return None;
    };
    let gas_per_unit = u64::try_from(value).ok()?;
    HelperKind::ALL
        .into_iter()
        .filter(|kind| kind.check_cost(gas_per_unit).is_ok())
        .find(|kind| kind.body(gas_per_unit, use_gas).into_raw_body() == body.as_bytes())
        .map(|kind| Helper {
            func,
            kind,
            gas_per_unit,
        })
}
