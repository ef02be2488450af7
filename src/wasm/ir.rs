//! The internal code: a compact, pre-resolved stack-machine instruction set.
//!
//! # Design
//!
//! Each Wasm function body is translated once, at compile time, into a sequence of [`Op`]s in
//! one flat vector per module. The design is a **stack machine with precomputed offsets**:
//!
//! - Values live in one contiguous `u64` slot stack. A frame's parameters and locals sit at its
//!   frame pointer `fp`, its operands above them. Validation fixed every type, so slots are untyped.
//! - Every branch carries its absolute target `pc` and the number of values to `drop` and `keep`,
//!   computed from the validator's static stack heights; the executor never searches for a label
//!   and never inspects a block type.
//! - Calls name the callee directly (`CallInternal` for this module's functions, `CallImport` for
//!   imports); `call_indirect` compares interned type ids.
//! - Immediates (constants, memory offsets, local indices) are stored in the op itself.
//!
//! We chose a stack design over a register design for this first engine because it maps one to
//! one onto Wasm, which keeps the translator small and obviously correct, while the executor
//! still never decodes Wasm bytes, never allocates per instruction and never recurses on the host
//! stack (calls push a frame on an explicit frame stack). Register allocation and
//! superinstructions can be layered on this format without changing the executor's structure.

/// A resolved branch: jump to `target`, keeping the top `keep` values and dropping the `drop`
/// values beneath them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Branch {
    /// Absolute index of the target op in the module's code.
    pub target: u32,
    /// Number of operand slots between the kept values and the target's stack height.
    pub drop: u32,
    /// Number of values carried to the target (its label arity).
    pub keep: u32,
}

/// One internal instruction.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    // Control.
    Unreachable,
    Br(Branch),
    /// Pops an i32 and branches if it is non-zero.
    BrIfNez(Branch),
    /// Pops an i32 and jumps to the target if it is zero (the `if` of an if/else).
    BrIfEqz(u32),
    /// Pops an index; executes the `Br` found at `pc + 1 + min(index, len)`.
    BrTable {
        len: u32,
    },
    /// Returns from the function with the top `keep` values.
    Return {
        keep: u32,
    },
    /// Calls a function defined in this module (index among defined functions).
    CallInternal(u32),
    /// Calls an imported function (index among imported functions).
    CallImport(u32),
    /// Pops a table index and calls that function, checking its interned type id.
    CallIndirect {
        type_id: u32,
        table: u32,
    },

    // Parametric.
    Drop,
    Select,

    // Variables.
    LocalGet(u32),
    LocalSet(u32),
    LocalTee(u32),
    GlobalGet(u32),
    GlobalSet(u32),

    // Tables and references.
    TableGet(u32),
    TableSet(u32),
    TableSize(u32),
    TableGrow(u32),
    TableFill(u32),
    TableCopy {
        dst: u32,
        src: u32,
    },
    TableInit {
        table: u32,
        elem: u32,
    },
    ElemDrop(u32),
    RefNull,
    RefIsNull,
    RefFunc(u32),

    // Memory (offsets are the static `memarg` offsets).
    I32Load(u32),
    I64Load(u32),
    F32Load(u32),
    F64Load(u32),
    I32Load8S(u32),
    I32Load8U(u32),
    I32Load16S(u32),
    I32Load16U(u32),
    I64Load8S(u32),
    I64Load8U(u32),
    I64Load16S(u32),
    I64Load16U(u32),
    I64Load32S(u32),
    I64Load32U(u32),
    I32Store(u32),
    I64Store(u32),
    F32Store(u32),
    F64Store(u32),
    I32Store8(u32),
    I32Store16(u32),
    I64Store8(u32),
    I64Store16(u32),
    I64Store32(u32),
    MemorySize,
    MemoryGrow,
    MemoryInit(u32),
    DataDrop(u32),
    MemoryCopy,
    MemoryFill,

    // Constants (floats as bit patterns).
    I32Const(i32),
    I64Const(i64),
    F32Const(u32),
    F64Const(u64),

    // i32 numeric.
    I32Eqz,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I32Clz,
    I32Ctz,
    I32Popcnt,
    I32Add,
    I32Sub,
    I32Mul,
    I32DivS,
    I32DivU,
    I32RemS,
    I32RemU,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrS,
    I32ShrU,
    I32Rotl,
    I32Rotr,

    // i64 numeric.
    I64Eqz,
    I64Eq,
    I64Ne,
    I64LtS,
    I64LtU,
    I64GtS,
    I64GtU,
    I64LeS,
    I64LeU,
    I64GeS,
    I64GeU,
    I64Clz,
    I64Ctz,
    I64Popcnt,
    I64Add,
    I64Sub,
    I64Mul,
    I64DivS,
    I64DivU,
    I64RemS,
    I64RemU,
    I64And,
    I64Or,
    I64Xor,
    I64Shl,
    I64ShrS,
    I64ShrU,
    I64Rotl,
    I64Rotr,

    // f32 numeric.
    F32Eq,
    F32Ne,
    F32Lt,
    F32Gt,
    F32Le,
    F32Ge,
    F32Abs,
    F32Neg,
    F32Ceil,
    F32Floor,
    F32Trunc,
    F32Nearest,
    F32Sqrt,
    F32Add,
    F32Sub,
    F32Mul,
    F32Div,
    F32Min,
    F32Max,
    F32Copysign,

    // f64 numeric.
    F64Eq,
    F64Ne,
    F64Lt,
    F64Gt,
    F64Le,
    F64Ge,
    F64Abs,
    F64Neg,
    F64Ceil,
    F64Floor,
    F64Trunc,
    F64Nearest,
    F64Sqrt,
    F64Add,
    F64Sub,
    F64Mul,
    F64Div,
    F64Min,
    F64Max,
    F64Copysign,

    // Conversions.
    I32WrapI64,
    I32TruncF32S,
    I32TruncF32U,
    I32TruncF64S,
    I32TruncF64U,
    I64ExtendI32S,
    I64ExtendI32U,
    I64TruncF32S,
    I64TruncF32U,
    I64TruncF64S,
    I64TruncF64U,
    F32ConvertI32S,
    F32ConvertI32U,
    F32ConvertI64S,
    F32ConvertI64U,
    F32DemoteF64,
    F64ConvertI32S,
    F64ConvertI32U,
    F64ConvertI64S,
    F64ConvertI64U,
    F64PromoteF32,
    I32Extend8S,
    I32Extend16S,
    I64Extend8S,
    I64Extend16S,
    I64Extend32S,
    I32TruncSatF32S,
    I32TruncSatF32U,
    I32TruncSatF64S,
    I32TruncSatF64U,
    I64TruncSatF32S,
    I64TruncSatF32U,
    I64TruncSatF64S,
    I64TruncSatF64U,
}

impl Op {
    /// Redirects a branching op to `target` (used to patch forward branches).
    pub(crate) fn set_target(&mut self, target: u32) {
        match self {
            Op::Br(b) | Op::BrIfNez(b) => b.target = target,
            Op::BrIfEqz(t) => *t = target,
            other => unreachable!("patching a non-branch op {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }
}
