//! Fused gas metering: how a module's gas-charging calls map onto the store's gas counter.
//!
//! A metering rewriter (see `crate::metering`) makes code charge gas by calling an imported
//! function with a constant, and by calling helper functions that charge for a dynamic operand.
//! Given a [`GasFusion`] at compile time, the translator replaces `i64.const N; call $charge` by
//! one internal "consume N gas" op and a direct call of a helper by a native charge (followed by
//! `memory.grow` for grow helpers), so metering costs a subtraction and a branch rather than a
//! call. Out of gas traps with [`super::TrapCode::OutOfGas`] and leaves the counter unchanged,
//! exactly as the imported function must behave (it is still called, literally, in any other
//! context, e.g. with a non-constant argument).
//!
//! The stack-height limiter's code around calls is fused too (see [`GasFusion::stack_height`]).

/// How a helper function's charge depends on its `i32` operand `n` (read as unsigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GasCharge {
    /// `n · gas`.
    PerUnit(u64),
    /// `⌈n / 32⌉ · gas`.
    PerWord32(u64),
}

impl GasCharge {
    /// The gas charged for operand `n` (saturating; a saturated charge always runs out of gas).
    pub fn amount(self, n: u32) -> u64 {
        match self {
            GasCharge::PerUnit(gas) => (n as u64).saturating_mul(gas),
            GasCharge::PerWord32(gas) => (n as u64).div_ceil(32).saturating_mul(gas),
        }
    }
}

/// A function `(param i32) (result i32)` that charges for `n` and then either returns `n`
/// unchanged or (with `grow_memory`) returns `memory.grow n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasHelper {
    /// Index of the function in the module's function index space.
    pub func: u32,
    /// What it charges.
    pub charge: GasCharge,
    /// Whether it grows memory 0 by `n` pages after charging.
    pub grow_memory: bool,
}

/// The gas-charging functions of a module, to be fused into native charges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GasFusion {
    /// Index of the imported `(param i64)` function that charges its argument.
    pub charge_import: Option<u32>,
    /// Helper functions to execute as native charges when called directly.
    pub helpers: Vec<GasHelper>,
    /// The stack-height limiter's `i32` height global, whose exact update sequences around calls
    /// run as single ops (the translator's `fuse_limiter` documents the shapes): a prologue
    /// `global.get g; i32.const c; i32.add; global.set g; global.get g; i32.const L; i32.gt_u;
    /// if; [i64.const N; call $charge]; unreachable; end` becomes "add `c` to `g` and, if `g`
    /// then exceeds `L` (unsigned), charge `N` and trap `unreachable`", an epilogue
    /// `global.get g; i32.const c; i32.sub; global.set g` becomes "subtract `c` from `g`". Both
    /// are exact for any `i32` global, so naming another global only costs speed.
    pub stack_height: Option<u32>,
}

impl GasFusion {
    /// The helper with function index `func`, if any.
    pub(crate) fn helper(&self, func: u32) -> Option<&GasHelper> {
        self.helpers.iter().find(|h| h.func == func)
    }
}
