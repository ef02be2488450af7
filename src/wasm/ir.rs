//! The internal code: a compact register-machine instruction set, resolved at compile time.
//!
//! # Design
//!
//! Each Wasm function body is translated once, at compile time, into [`Op`]s in one flat vector
//! per module. The design is a **register machine over frame slots**:
//!
//! - A call frame is a window of untyped `u64` slots: `[params | locals | constants | temporaries]`.
//!   Validation fixed every type, so slots carry no tags. The Wasm operand at stack height `h`
//!   lives in temporary slot `T + h`; the translator tracks, for every operand, whether it is such
//!   a temporary, a local or a constant, so `local.get` and `*.const` emit no code at all: the
//!   consuming instruction names the local's or the constant's slot directly.
//! - Every instruction names its operand and result slots (frame-relative `u32`s). `i32.add`
//!   reads two slots and writes one; a `local.set` of a just-computed value rewrites that
//!   instruction's result slot instead of copying.
//! - Constants of a function live in a per-function pool copied into the frame on entry, so any
//!   operand can be a constant; small integers can also be immediates (below).
//! - A comparison feeding `br_if` or `if` is fused into one compare-and-branch instruction.
//! - Branch targets are op indices within the function; values carried by a branch are moved by
//!   explicit `Copy` instructions emitted before it (`br_table` entries carry their own move).
//! - Calls name the callee and the slot where its arguments start, which becomes the callee's
//!   frame base; there is no host recursion per Wasm call (an explicit frame stack).
//!
//! - **The accumulator.** A value that one instruction produces and the very next one consumes
//!   (the common case of a stack machine's top of stack) is named [`ACC`] in both, instead of a
//!   temporary slot: it then stays in a machine register between the two handlers. The two are
//!   always adjacent and the second is never a branch target, so the accumulator is never live
//!   across a label, a call or a trip out of the core. Only the straight-line forms listed by
//!   [`Op::acc_flags`] (and the compare-and-branches fused from them) use it. There are two
//!   accumulators: f64 values pass in a float register ([`Op::f64_result`],
//!   [`Op::f64_operands`]), all others in an integer one, so a producer and a consumer share
//!   [`ACC`] only when they agree on the kind (a reinterpretation between them emits no op, so
//!   the kinds then differ and the value goes through its slot).
//! - **Immediates.** The second operand of arithmetic and of a compare-and-branch may be a small
//!   integer constant itself ([`IMM`]) rather than its constant slot.
//! - **Counted loops.** An `i32.add`/`i64.add` into a local followed by a compare-and-branch
//!   of that local (`x += step; br_if (x ⊕ bound)`) is one instruction ([`AddBr`]).
//! - **Address sums.** An `i32.add` whose result is the address of the very next load or store
//!   (with static offset 0) is fused into it: the access names the add's operands ([`SumArg`]).
//!
//! Compared with a stack machine this removes most dispatches (`local.get`, constants,
//! `local.set`, compare-then-branch) and all operand-stack pointer traffic. Every op is 16 bytes;
//! the executor runs them as threaded code, each paired with its handler (see `exec::core`).

/// The accumulator's pseudo-slot (see the module docs); never a real slot, since a frame has
/// fewer slots.
pub const ACC: u32 = 0x7fff_ffff;

/// In the second operand of a three-slot op or a compare-and-branch, this bit marks an
/// immediate: the operand is the other 31 bits, sign-extended (see [`imm`]).
pub const IMM: u32 = 0x8000_0000;

/// The immediate operand for the integer `value` (of an `i32.const` or `i64.const`), if it fits
/// in 31 bits.
pub(crate) fn imm(value: i64) -> Option<u32> {
    (-(1 << 30)..1 << 30)
        .contains(&value)
        .then_some((value as u32 & !IMM) | IMM)
}

/// The value of immediate operand `b` as a slot holds it (sign-extended to 64 bits; a 32-bit
/// op reads the low half).
#[inline(always)]
pub(crate) fn imm_value(b: u32) -> u64 {
    (((b << 1) as i32) >> 1) as i64 as u64
}

/// How an op's second operand is given (the `B` flag of [`Op::acc_flags`]): in a slot, the
/// accumulator or an immediate.
pub(crate) const OPD_SLOT: u8 = 0;
/// See [`OPD_SLOT`].
pub(crate) const OPD_ACC: u8 = 1;
/// See [`OPD_SLOT`].
pub(crate) const OPD_IMM: u8 = 2;

/// The [`OPD_SLOT`] kind of a second operand that may be an immediate.
fn second(b: u32) -> u8 {
    match b {
        ACC => OPD_ACC,
        b if b & IMM != 0 => OPD_IMM,
        _ => OPD_SLOT,
    }
}

/// The [`OPD_SLOT`] kind of a second operand that is never an immediate.
fn second_slot(b: u32) -> u8 {
    if b == ACC {
        OPD_ACC
    } else {
        OPD_SLOT
    }
}

/// Three-slot operands: `dst = a ⊕ b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct R3 {
    /// Result slot.
    pub dst: u32,
    /// Left operand slot.
    pub a: u32,
    /// Right operand slot.
    pub b: u32,
}

/// Two-slot operands: `dst = f(src)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct R2 {
    /// Result slot.
    pub dst: u32,
    /// Operand slot.
    pub src: u32,
}

/// A memory access: the value slot (result of a load, source of a store), the address slot and
/// the static offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemArg {
    /// Result slot of a load, value slot of a store.
    pub val: u32,
    /// Slot holding the i32 address.
    pub addr: u32,
    /// The static `memarg` offset.
    pub offset: u32,
}

/// A memory access at the wrapped sum of two operands (an `i32.add` fused into the load or
/// store that uses its result as the address, when the static offset is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SumArg {
    /// Result slot of a load, value slot of a store (never the accumulator).
    pub val: u32,
    /// First address operand.
    pub a: u32,
    /// Second address operand (a slot, the accumulator or an immediate).
    pub b: u32,
}

/// A compare-and-branch: jump to `target` if `a ⊕ b` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrCmp {
    /// Left operand slot.
    pub a: u32,
    /// Right operand slot.
    pub b: u32,
    /// Absolute index of the target op.
    pub target: u32,
}

/// An `i32.add`/`i64.add` into a slot fused with the compare-and-branch on it that follows:
/// `x = x + step`, then jump if `x ⊕ bound` holds (the loop counter's step and test). The target
/// is in the [`Op::BrTarget`] that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddBr {
    /// The slot incremented and compared (never the accumulator).
    pub x: u32,
    /// The increment: a slot or an immediate.
    pub step: u32,
    /// The right operand of the comparison: a slot or an immediate.
    pub bound: u32,
}

/// A test-and-branch on one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrTest {
    /// The slot tested.
    pub cond: u32,
    /// Absolute index of the target op.
    pub target: u32,
}

/// One entry of a `br_table`: move `count` values from the table's source slots to `dst`, then
/// jump to `target` (or return, if `target` is [`RETURN_TARGET`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrEntry {
    /// Absolute index of the target op, or [`RETURN_TARGET`].
    pub target: u32,
    /// First slot receiving the carried values.
    pub dst: u32,
    /// Number of carried values.
    pub count: u32,
}

/// The `target` of a [`BrEntry`] that returns from the function.
pub const RETURN_TARGET: u32 = u32::MAX;

/// Operands of rarer instructions that work on consecutive slots starting at `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base {
    /// First operand slot (also the result slot, if there is a result).
    pub base: u32,
    /// The table, data or element index, or the second table of `table.copy`.
    pub index: u32,
    /// Another index (the source table of `table.copy`, the element segment of `table.init`).
    pub other: u32,
}

/// The stack-height limiter's check before a call (fused metering, see
/// [`super::gas::GasFusion::stack_height`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackCheck {
    /// The height global (module index).
    pub global: u32,
    /// Added to the height (wrapping, as `i32.add`).
    pub cost: u32,
    /// The largest height that does not trap (unsigned).
    pub limit: u32,
}

macro_rules! define_ops {
    (
        r3: [$($r3:ident),* $(,)?],
        r2: [$($r2:ident),* $(,)?],
        load: [$($load:ident => $load_sum:ident),* $(,)?],
        store: [$($store:ident => $store_sum:ident),* $(,)?],
        br_cmp: [$($br:ident => $add_br:ident after $add:ident),* $(,)?],
        other: { $($(#[$m:meta])* $other:ident $( ( $($ty:ty),* ) )?,)* }
    ) => {
        /// One internal instruction (slots are relative to the frame base).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Op {
            $(#[doc = concat!("`", stringify!($r3), "`: dst = a op b.")] $r3(R3),)*
            $(#[doc = concat!("`", stringify!($r2), "`: dst = op src.")] $r2(R2),)*
            $(#[doc = concat!("`", stringify!($load), "` into `val`.")] $load(MemArg),)*
            $(#[doc = concat!("`", stringify!($store), "` of `val`.")] $store(MemArg),)*
            $(#[doc = concat!("`", stringify!($load), "` at `a + b` into `val`.")] $load_sum(SumArg),)*
            $(#[doc = concat!("`", stringify!($store), "` of `val` at `a + b`.")] $store_sum(SumArg),)*
            $(#[doc = concat!("Branch if `", stringify!($br), "` holds.")] $br(BrCmp),)*
            $(#[doc = concat!("Add, then branch if `", stringify!($br), "` holds.")] $add_br(AddBr),)*
            $($(#[$m])* $other $( ( $($ty),* ) )?,)*
        }

        impl Op {
            /// The result slot of an instruction that writes exactly one slot.
            pub(crate) fn dst_mut(&mut self) -> Option<&mut u32> {
                match self {
                    $(Op::$r3(r) => Some(&mut r.dst),)*
                    $(Op::$r2(r) => Some(&mut r.dst),)*
                    $(Op::$load(m) => Some(&mut m.val),)*
                    $(Op::$load_sum(m) => Some(&mut m.val),)*
                    Op::Copy(r) => Some(&mut r.dst),
                    Op::GlobalGet(dst, _) => Some(dst),
                    _ => None,
                }
            }

            /// The handler's `(D, A, B)` flags: whether the result (of arithmetic and loads)
            /// and the first operand (`a`, `src`, a memory address, a branch condition) are
            /// [`ACC`], and how the second (`b`, a stored value) is given ([`OPD_SLOT`]).
            pub(crate) fn acc_flags(&self) -> (bool, bool, u8) {
                match *self {
                    $(Op::$r3(r) => (r.dst == ACC, r.a == ACC, second(r.b)),)*
                    $(Op::$r2(r) => (r.dst == ACC, r.src == ACC, OPD_SLOT),)*
                    $(Op::$load(m) => (m.val == ACC, m.addr == ACC, OPD_SLOT),)*
                    $(Op::$store(m) => (false, m.addr == ACC, second_slot(m.val)),)*
                    $(Op::$load_sum(m) => (m.val == ACC, m.a == ACC, second(m.b)),)*
                    $(Op::$store_sum(m) => (false, m.a == ACC, second(m.b)),)*
                    $(Op::$br(b) => (false, b.a == ACC, second(b.b)),)*
                    Op::BrIfEqz(t) | Op::BrIfNez(t) | Op::BrIfI64Eqz(t) | Op::BrIfI64Nez(t) => {
                        (false, t.cond == ACC, OPD_SLOT)
                    }
                    _ => (false, false, OPD_SLOT),
                }
            }

            /// For a compare-and-branch and the op before it: if that is an add of the
            /// comparison's width, its operands and the add-and-branch of this comparison.
            pub(crate) fn after_add(&self, prev: &Op) -> Option<(R3, fn(AddBr) -> Op)> {
                match (self, prev) {
                    $((Op::$br(_), Op::$add(add)) => Some((*add, Op::$add_br)),)*
                    _ => None,
                }
            }

            /// For a load or store: the same access at the wrapped sum of two operands.
            pub(crate) fn at_sum(&self) -> Option<fn(SumArg) -> Op> {
                match self {
                    $(Op::$load(_) => Some(Op::$load_sum),)*
                    $(Op::$store(_) => Some(Op::$store_sum),)*
                    _ => None,
                }
            }
        }
    };
}

define_ops! {
    r3: [
        I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
        I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU, I32And, I32Or, I32Xor,
        I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
        I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
        I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU, I64And, I64Or, I64Xor,
        I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
        F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge,
        F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
        F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
        F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
    ],
    r2: [
        I32Eqz, I32Clz, I32Ctz, I32Popcnt, I64Eqz, I64Clz, I64Ctz, I64Popcnt,
        F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
        F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
        I32WrapI64, I32TruncF32S, I32TruncF32U, I32TruncF64S, I32TruncF64U,
        I64ExtendI32S, I64ExtendI32U, I64TruncF32S, I64TruncF32U, I64TruncF64S, I64TruncF64U,
        F32ConvertI32S, F32ConvertI32U, F32ConvertI64S, F32ConvertI64U, F32DemoteF64,
        F64ConvertI32S, F64ConvertI32U, F64ConvertI64S, F64ConvertI64U, F64PromoteF32,
        I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
        I32TruncSatF32S, I32TruncSatF32U, I32TruncSatF64S, I32TruncSatF64U,
        I64TruncSatF32S, I64TruncSatF32U, I64TruncSatF64S, I64TruncSatF64U,
        MemoryGrow,
    ],
    load: [
        I32Load => I32LoadSum, I64Load => I64LoadSum, I32Load8S => I32Load8SSum,
        I32Load8U => I32Load8USum, I32Load16S => I32Load16SSum, I32Load16U => I32Load16USum,
        I64Load8S => I64Load8SSum, I64Load8U => I64Load8USum, I64Load16S => I64Load16SSum,
        I64Load16U => I64Load16USum, I64Load32S => I64Load32SSum, I64Load32U => I64Load32USum,
        F64Load => F64LoadSum,
    ],
    store: [
        I32Store => I32StoreSum, I64Store => I64StoreSum, I32Store8 => I32Store8Sum,
        I32Store16 => I32Store16Sum, I64Store32 => I64Store32Sum, F64Store => F64StoreSum,
    ],
    br_cmp: [
        BrI32Eq => AddBrI32Eq after I32Add, BrI32Ne => AddBrI32Ne after I32Add,
        BrI32LtS => AddBrI32LtS after I32Add, BrI32LtU => AddBrI32LtU after I32Add,
        BrI32GtS => AddBrI32GtS after I32Add, BrI32GtU => AddBrI32GtU after I32Add,
        BrI32LeS => AddBrI32LeS after I32Add, BrI32LeU => AddBrI32LeU after I32Add,
        BrI32GeS => AddBrI32GeS after I32Add, BrI32GeU => AddBrI32GeU after I32Add,
        BrI64Eq => AddBrI64Eq after I64Add, BrI64Ne => AddBrI64Ne after I64Add,
        BrI64LtS => AddBrI64LtS after I64Add, BrI64LtU => AddBrI64LtU after I64Add,
        BrI64GtS => AddBrI64GtS after I64Add, BrI64GtU => AddBrI64GtU after I64Add,
        BrI64LeS => AddBrI64LeS after I64Add, BrI64LeU => AddBrI64LeU after I64Add,
        BrI64GeS => AddBrI64GeS after I64Add, BrI64GeU => AddBrI64GeU after I64Add,
    ],
    other: {
        /// `dst = src`.
        Copy(R2),
        /// Traps.
        Unreachable,
        /// Jumps to the target.
        Jump(u32),
        /// Jumps if the i32 in `cond` is zero.
        BrIfEqz(BrTest),
        /// Jumps if the i32 in `cond` is not zero.
        BrIfNez(BrTest),
        /// Jumps if the i64 in `cond` is zero.
        BrIfI64Eqz(BrTest),
        /// Jumps if the i64 in `cond` is not zero.
        BrIfI64Nez(BrTest),
        /// `br_table`: index slot, number of non-default entries, first slot of the carried
        /// values; followed by `len + 1` [`Op::BrEntry`]s.
        BrTable(u32, u32, u32),
        /// An entry of the preceding `BrTable` (never executed on its own).
        BrEntry(BrEntry),
        /// The absolute target of the preceding add-and-branch (never executed on its own).
        BrTarget(u32),
        /// Returns `count` results from slots `base..`.
        Return(u32, u32),
        /// Returns the one result in the slot.
        Return1(u32),
        /// Calls defined function `func` with arguments from slot `base` (its frame base).
        CallInternal(u32, u32),
        /// Calls imported function `func` with arguments from slot `base`.
        CallImport(u32, u32),
        /// `call_indirect` of interned type `type_id` through `table`, the index in slot
        /// `index`; followed by an [`Op::CallArgs`] with the argument base.
        CallIndirect(u32, u32, u32),
        /// Argument base of the preceding `CallIndirect` (never executed on its own).
        CallArgs(u32),
        /// `dst = select(a = dst, b, cond)`.
        Select(R3),
        /// `dst = global[index]`.
        GlobalGet(u32, u32),
        /// `global[index] = src` (src, index).
        GlobalSet(u32, u32),
        /// `dst = memory.size`.
        MemorySize(u32),
        /// `memory.copy` of `base: dst, base+1: src, base+2: len`.
        MemoryCopy(u32),
        /// `memory.fill` of `base: dst, base+1: value, base+2: len`.
        MemoryFill(u32),
        /// `memory.init` from data segment `index`, operands from `base`.
        MemoryInit(Base),
        /// `data.drop`.
        DataDrop(u32),
        /// `table.get`: index at `base`, result to `base`.
        TableGet(Base),
        /// `table.set`: index at `base`, value at `base + 1`.
        TableSet(Base),
        /// `dst = table.size` (dst, table).
        TableSize(u32, u32),
        /// `table.grow`: init at `base`, delta at `base + 1`, result to `base`.
        TableGrow(Base),
        /// `table.fill`: index, value, length from `base`.
        TableFill(Base),
        /// `table.copy` into table `index` from table `other`, operands from `base`.
        TableCopy(Base),
        /// `table.init` of table `index` from segment `other`, operands from `base`.
        TableInit(Base),
        /// `elem.drop`.
        ElemDrop(u32),
        /// `dst = ref.func` (dst, function index).
        RefFunc(u32, u32),
        /// Charges a constant amount of gas (fused metering).
        ConsumeGas(u64),
        /// Charges `n · k` gas for the i32 `n` in the slot (slot, k).
        ChargePerUnit(u32, u64),
        /// Charges `⌈n / 32⌉ · k` gas for the i32 `n` in the slot (slot, k).
        ChargePerWord32(u32, u64),
        /// Stack-limiter prologue: adds `cost` to the i32 global; if the new height is at most
        /// `limit`, skips the next two ops, else runs them: they are the trap path, always
        /// `ConsumeGas(n)` (the charge of the literal trap block, 0 if none) then `Unreachable`.
        StackEnter(StackCheck),
        /// Stack-limiter epilogue: subtracts the cost from the i32 global (global, cost).
        StackLeave(u32, u32),
    }
}

impl Op {
    /// For an op that may produce its result in the accumulator (core arithmetic and loads):
    /// its result slot. `memory.grow` runs outside the core; copies and `global.get` have no
    /// accumulator form.
    pub(crate) fn acc_result_mut(&mut self) -> Option<&mut u32> {
        match self {
            Op::MemoryGrow(_) | Op::Copy(_) | Op::GlobalGet(..) => None,
            other => other.dst_mut(),
        }
    }

    /// Whether the op's result, if it is [`ACC`], goes in the float accumulator: the f64
    /// results (every other value uses the integer one).
    pub(crate) fn f64_result(&self) -> bool {
        matches!(
            self,
            Op::F64Add(_)
                | Op::F64Sub(_)
                | Op::F64Mul(_)
                | Op::F64Div(_)
                | Op::F64Min(_)
                | Op::F64Max(_)
                | Op::F64Copysign(_)
                | Op::F64Abs(_)
                | Op::F64Neg(_)
                | Op::F64Ceil(_)
                | Op::F64Floor(_)
                | Op::F64Trunc(_)
                | Op::F64Nearest(_)
                | Op::F64Sqrt(_)
                | Op::F64ConvertI32S(_)
                | Op::F64ConvertI32U(_)
                | Op::F64ConvertI64S(_)
                | Op::F64ConvertI64U(_)
                | Op::F64PromoteF32(_)
                | Op::F64Load(_)
                | Op::F64LoadSum(_)
        )
    }

    /// Whether the op's operands that may be [`ACC`] are read from the float accumulator: the
    /// f64 operands of arithmetic, comparisons and conversions, and the value of `F64Store`
    /// (a memory address is always an integer).
    pub(crate) fn f64_operands(&self) -> bool {
        matches!(
            self,
            Op::F64Add(_)
                | Op::F64Sub(_)
                | Op::F64Mul(_)
                | Op::F64Div(_)
                | Op::F64Min(_)
                | Op::F64Max(_)
                | Op::F64Copysign(_)
                | Op::F64Abs(_)
                | Op::F64Neg(_)
                | Op::F64Ceil(_)
                | Op::F64Floor(_)
                | Op::F64Trunc(_)
                | Op::F64Nearest(_)
                | Op::F64Sqrt(_)
                | Op::F64Eq(_)
                | Op::F64Ne(_)
                | Op::F64Lt(_)
                | Op::F64Gt(_)
                | Op::F64Le(_)
                | Op::F64Ge(_)
                | Op::I32TruncF64S(_)
                | Op::I32TruncF64U(_)
                | Op::I64TruncF64S(_)
                | Op::I64TruncF64U(_)
                | Op::I32TruncSatF64S(_)
                | Op::I32TruncSatF64U(_)
                | Op::I64TruncSatF64S(_)
                | Op::I64TruncSatF64U(_)
                | Op::F32DemoteF64(_)
                | Op::F64Store(_)
        )
    }

    /// Redirects a forward branch to `target`.
    pub(crate) fn set_target(&mut self, target: u32) {
        let Some(t) = self.target_mut() else {
            unreachable!("patching a non-branch op");
        };
        *t = target;
    }

    /// The branch target of a branch or `br_table` entry.
    pub(crate) fn target_mut(&mut self) -> Option<&mut u32> {
        match self {
            Op::Jump(t) => Some(t),
            Op::BrIfEqz(b) | Op::BrIfNez(b) | Op::BrIfI64Eqz(b) | Op::BrIfI64Nez(b) => {
                Some(&mut b.target)
            }
            Op::BrEntry(e) => Some(&mut e.target),
            Op::BrTarget(t) => Some(t),
            other => other.br_cmp_mut().map(|b| &mut b.target),
        }
    }
}

/// The compare-and-branches with the one that tests the same relation with the operands swapped.
macro_rules! mirrored_branches {
    ($($br:ident => $mirror:ident,)*) => {
        impl Op {
            /// A compare-and-branch with its operands swapped and its relation mirrored (the
            /// same test; the caller makes sure the new first operand is no immediate).
            pub(crate) fn mirrored(&self) -> Option<Op> {
                match *self {
                    $(Op::$br(b) => Some(Op::$mirror(BrCmp { a: b.b, b: b.a, ..b })),)*
                    _ => None,
                }
            }
        }
    };
}

mirrored_branches! {
    BrI32Eq => BrI32Eq, BrI32Ne => BrI32Ne,
    BrI32LtS => BrI32GtS, BrI32GtS => BrI32LtS, BrI32LtU => BrI32GtU, BrI32GtU => BrI32LtU,
    BrI32LeS => BrI32GeS, BrI32GeS => BrI32LeS, BrI32LeU => BrI32GeU, BrI32GeU => BrI32LeU,
    BrI64Eq => BrI64Eq, BrI64Ne => BrI64Ne,
    BrI64LtS => BrI64GtS, BrI64GtS => BrI64LtS, BrI64LtU => BrI64GtU, BrI64GtU => BrI64LtU,
    BrI64LeS => BrI64GeS, BrI64GeS => BrI64LeS, BrI64LeU => BrI64GeU, BrI64GeU => BrI64LeU,
}

/// The integer comparisons that fuse with a following branch, with their branch forms.
macro_rules! fusable_compares {
    ($($cmp:ident => $br:ident, $neg:ident;)*) => {
        impl Op {
            /// For an integer comparison: its operands and the branch-if-true and
            /// branch-if-false instructions.
            pub(crate) fn as_compare(&self) -> Option<(R3, fn(BrCmp) -> Op, fn(BrCmp) -> Op)> {
                match *self {
                    $(Op::$cmp(r) => Some((r, Op::$br, Op::$neg)),)*
                    _ => None,
                }
            }

            /// The operands and target of a compare-and-branch.
            pub(crate) fn br_cmp_mut(&mut self) -> Option<&mut BrCmp> {
                match self {
                    $(Op::$br(b) => Some(b),)*
                    _ => None,
                }
            }
        }
    };
}

fusable_compares! {
    I32Eq => BrI32Eq, BrI32Ne;
    I32Ne => BrI32Ne, BrI32Eq;
    I32LtS => BrI32LtS, BrI32GeS;
    I32LtU => BrI32LtU, BrI32GeU;
    I32GtS => BrI32GtS, BrI32LeS;
    I32GtU => BrI32GtU, BrI32LeU;
    I32LeS => BrI32LeS, BrI32GtS;
    I32LeU => BrI32LeU, BrI32GtU;
    I32GeS => BrI32GeS, BrI32LtS;
    I32GeU => BrI32GeU, BrI32LtU;
    I64Eq => BrI64Eq, BrI64Ne;
    I64Ne => BrI64Ne, BrI64Eq;
    I64LtS => BrI64LtS, BrI64GeS;
    I64LtU => BrI64LtU, BrI64GeU;
    I64GtS => BrI64GtS, BrI64LeS;
    I64GtU => BrI64GtU, BrI64LeU;
    I64LeS => BrI64LeS, BrI64GtS;
    I64LeU => BrI64LeU, BrI64GtU;
    I64GeS => BrI64GeS, BrI64LtS;
    I64GeU => BrI64GeU, BrI64LtU;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }
}
