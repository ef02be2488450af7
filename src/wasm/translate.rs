//! Translation of one function body into register code (see [`super::ir`]).
//!
//! Two passes over the body:
//! 1. **Validate** every operator with `wasmparser`'s function validator, record the operators,
//!    the maximum operand-stack height and the function's constants (its constant pool).
//! 2. **Translate** the recorded operators. The translator keeps a compile-time model of the
//!    operand stack in which each value is a temporary slot, a local or a constant, so that
//!    `local.get` and constants cost nothing and every instruction names its slots directly.
//!
//! Invariants of the model: values carried across a label (block results, loop and block
//! parameters, branch values) are always in their temporaries; a local still named on the model
//! stack is copied into its temporary before the local is written (and before any block is
//! entered, since the block may write it).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use wasmparser::{
    BlockType, FuncValidator, FuncValidatorAllocations, FunctionBody, Operator, ValidatorResources,
};

use super::decode::{forget_all, read_validated};
use super::error::CompileError;
use super::gas::{GasCharge, GasFusion};
use super::ir::{
    imm, AddBr, Base, BrCmp, BrEntry, BrTest, MemArg, Op, StackCheck, SumArg, ACC, R2, R3,
    RETURN_TARGET,
};
use super::module::ModuleInner;

/// Up to this many declared locals are zeroed on entry by copying zeros from the pool together
/// with the constants (one copy loop instead of a `memset` call per Wasm call).
pub(crate) const POOLED_ZEROS: u32 = 16;

/// Frame layout and entry point of a translated function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TranslatedFunc {
    /// Index of the first op in the module's code (0 until the module places the body).
    pub entry: u32,
    /// Number of parameters.
    pub params: u32,
    /// Number of declared (zero-initialised) locals beyond the parameters.
    pub locals: u32,
    /// The first slot zeroed on entry: the first declared local that may be read before it
    /// is written (the constants' first slot if there is none).
    pub zero_at: u32,
    /// The slots from `zero_at` that `init` does not cover, zeroed on entry: all the declared
    /// locals from `zero_at` when there are more than [`POOLED_ZEROS`], none otherwise.
    pub zeroed: u32,
    /// Start of the function's frame initialiser in the module's pool: zeros for the declared
    /// locals from `zero_at` (unless `zeroed`), then the constants; it is copied to slot
    /// `zero_at + zeroed` (0 until the module places it).
    pub init_start: u32,
    /// Length of the frame initialiser.
    pub init_len: u32,
    /// Slots the frame may use.
    pub frame_size: u32,
    /// How the executor runs the body's first instruction when it calls the function
    /// indirectly (set when the module's code is threaded).
    pub start: Start,
}

/// The kind of a function's first instruction, for the executor's `call_indirect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Any other.
    Plain,
    /// A charge, copies and a checked call (the body of a stack-limiter thunk), whose callee
    /// does not start with a charge.
    Thunk,
    /// The same, whose callee starts with a charge.
    ThunkCharged,
}

/// Where an operand of the compile-time stack lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opd {
    /// In the temporary slot of its stack height.
    Temp,
    /// In this local's slot.
    Local(u32),
    /// In this constant slot, and as this immediate operand if it is a small integer.
    Const(u32, Option<u32>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtrlKind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// One entry of the control stack.
#[derive(Debug)]
struct Ctrl {
    kind: CtrlKind,
    /// Operand height below the block's parameters.
    height: u32,
    /// Values a branch to this label carries.
    branch_arity: u32,
    /// Number of parameters and results.
    params: u32,
    results: u32,
    /// Target of backward branches (loops).
    loop_start: u32,
    /// Ops (indices in the function's code) waiting for this block's end.
    fixups: Vec<u32>,
    /// The branch of an `if` to its `else` or `end`.
    else_fixup: Option<u32>,
    /// Whether code was reachable when the block was entered.
    reachable_at_entry: bool,
}

/// A fast hasher for the translator's integer keys (SipHash showed in compile profiles; the maps
/// are only looked up, never iterated, so their order does not matter).
#[derive(Debug, Default)]
struct ConstHasher(u64);

impl Hasher for ConstHasher {
    fn finish(&self) -> u64 {
        // The product's low bits see only the input's low bits: fold the high ones in.
        self.0 ^ (self.0 >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Multiplicative (Fibonacci) hashing, as in FxHash.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n.into());
    }
}

/// The value a constant operator pushes, as pass 1 pools it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Constant {
    /// The value's bits, zero-extended to a slot.
    value: u64,
    /// Whether it is a non-negative `i64.const`: the amount of a fused charge when a call of
    /// the charge import follows it.
    amount: bool,
}

impl Constant {
    /// The constant that `op` pushes, if it is a constant operator.
    #[inline(always)]
    pub(crate) fn of(op: &Operator<'_>) -> Option<Constant> {
        let (value, amount) = match *op {
            Operator::I32Const { value } => (value as u32 as u64, false),
            Operator::I64Const { value } => (value as u64, value >= 0),
            Operator::F32Const { value } => (value.bits() as u64, false),
            Operator::F64Const { value } => (value.bits(), false),
            Operator::RefNull { .. } => (0, false),
            _ => return None,
        };
        Some(Constant { value, amount })
    }
}

/// A run of what pass 1 reads of a body validated elsewhere, in order: operators, or only the
/// constants of operators that it need not read (it pools nothing else of them). A call of the
/// charge import must come in a run of operators right after its amount.
pub(crate) enum Recorded<'r, 'a> {
    /// Operators.
    Ops(&'r [Operator<'a>]),
    /// The constants of a run of operators, in order.
    Constants(&'r [Constant]),
}

/// Translates function bodies, reusing its buffers from one function to the next.
#[derive(Debug, Default)]
pub(crate) struct FuncTranslator<'a> {
    /// The operators of the last body translated, which validated: a body that fails leaves
    /// them in a local vector, dropped with it, so [`forget_all`] may empty this one.
    ops: Vec<Operator<'a>>,
    code: Vec<Op>,
    ctrl: Vec<Ctrl>,
    stack: Vec<Opd>,
    consts: Vec<u64>,
    const_slots: HashMap<u64, u32, BuildHasherDefault<ConstHasher>>,
    /// Constants up to the last one read from its slot: the ones the frame initialiser must
    /// copy (the others are only used as immediates).
    consts_read: u32,
    reachable: bool,
    results: u32,
    /// First constant slot and first temporary slot.
    const_base: u32,
    temp_base: u32,
    /// The last emitted op if it wrote the top temporary and nothing followed it: its index
    /// and the stack height just after it.
    last_result: Option<(usize, usize)>,
    /// Zeros for the declared locals at the start of the last function's frame initialiser.
    init_zeros: u32,
    /// Whether each declared local of the body being translated was accessed yet.
    accessed: Vec<bool>,
    /// The first declared local (from 0) of the body being translated whose first access may
    /// read its initial zero; the number of declared locals if none.
    zero_from: u32,
    /// The position of the last label placed (a branch target), so that no fusion spans it.
    label_pc: u32,
    /// The last constant charge if every operator since it [`keeps_charge_open`]: a charge
    /// met now is added to it (see [`FuncTranslator::charge_parts`]).
    open_charge: Option<usize>,
    /// The parts of the merged charges of the last function: `(pc, amount)`, in order.
    charge_parts: Vec<(u32, u64)>,
    /// In pass 1, the value of the last operator if it is a non-negative `i64.const` that added
    /// it to the pool: the amount of a charge if a call of the charge import follows.
    fresh_amount: Option<u64>,
    /// The amounts of fused charges, which are immediates, not pooled: the frame still keeps
    /// a slot for each value not otherwise pooled (after the pool), so that frames are laid
    /// out as for the literal charges and the value stack runs out at the same call.
    amounts: Vec<u64>,
    /// The parameter and result counts of the function types met so far, by engine id (the
    /// engine's registry is behind a lock that all translating threads would share). A
    /// translator serves the modules of one engine.
    arities: HashMap<u32, (u32, u32), BuildHasherDefault<ConstHasher>>,
}

/// Whether `op` leaves an earlier constant charge open for a later one to merge into: it is
/// a gas charge, or cannot trap, branch, call or write anything but locals, and places no
/// label. Running the merged charge where the first one stood is then exact, as the parts
/// recorded for it say how much the literal charges take when the gas runs out between them
/// (their out-of-gas trap leaves the same store behind).
fn keeps_charge_open(op: &Operator<'_>, gas: &GasFusion) -> bool {
    use Operator as O;
    match *op {
        O::Call { function_index } => gas.charge_import == Some(function_index),
        _ => matches!(
            op,
            O::Nop
                | O::Block { .. }
                | O::Drop
                | O::Select
                | O::TypedSelect { .. }
                | O::LocalGet { .. }
                | O::LocalSet { .. }
                | O::LocalTee { .. }
                | O::GlobalGet { .. }
                | O::I32Const { .. }
                | O::I64Const { .. }
                | O::I32Eqz
                | O::I32Eq
                | O::I32Ne
                | O::I32LtS
                | O::I32LtU
                | O::I32GtS
                | O::I32GtU
                | O::I32LeS
                | O::I32LeU
                | O::I32GeS
                | O::I32GeU
                | O::I64Eqz
                | O::I64Eq
                | O::I64Ne
                | O::I64LtS
                | O::I64LtU
                | O::I64GtS
                | O::I64GtU
                | O::I64LeS
                | O::I64LeU
                | O::I64GeS
                | O::I64GeU
                | O::I32Clz
                | O::I32Ctz
                | O::I32Popcnt
                | O::I32Add
                | O::I32Sub
                | O::I32Mul
                | O::I32And
                | O::I32Or
                | O::I32Xor
                | O::I32Shl
                | O::I32ShrS
                | O::I32ShrU
                | O::I32Rotl
                | O::I32Rotr
                | O::I64Clz
                | O::I64Ctz
                | O::I64Popcnt
                | O::I64Add
                | O::I64Sub
                | O::I64Mul
                | O::I64And
                | O::I64Or
                | O::I64Xor
                | O::I64Shl
                | O::I64ShrS
                | O::I64ShrU
                | O::I64Rotl
                | O::I64Rotr
                | O::I32WrapI64
                | O::I64ExtendI32S
                | O::I64ExtendI32U
                | O::I32Extend8S
                | O::I32Extend16S
                | O::I64Extend8S
                | O::I64Extend16S
                | O::I64Extend32S
        ),
    }
}

/// The op constructor of the same name as a parameterless `wasmparser` operator.
macro_rules! same_name {
    ($op:expr, $ctor:ty; $($name:ident)*) => {
        match $op {
            $(Operator::$name => Some(Op::$name as $ctor),)*
            _ => None,
        }
    };
}

impl<'a> FuncTranslator<'a> {
    /// The code of the last translated function (branch targets relative to its start).
    pub fn code(&self) -> &[Op] {
        &self.code
    }

    /// The parts of the last translated function's merged charges: for each `ConsumeGas` that
    /// stands for several literal charges, `(pc, amount)` of each of them in order (pcs relative
    /// to the function's start). The executor takes them apart only when the gas runs out.
    pub fn charge_parts(&self) -> &[(u32, u64)] {
        &self.charge_parts
    }

    /// The frame initialiser of the last translated function (see [`TranslatedFunc::init_start`]).
    pub fn init(&self) -> impl Iterator<Item = u64> + '_ {
        let zeros = self.init_zeros as usize;
        let consts = &self.consts[..self.consts_read as usize];
        std::iter::repeat_n(0, zeros).chain(consts.iter().copied())
    }

    /// Validates and translates one body of `module` whose type has engine id `type_id`.
    pub fn translate(
        &mut self,
        module: &ModuleInner,
        type_id: u32,
        mut validator: FuncValidator<ValidatorResources>,
        body: &FunctionBody<'a>,
        gas: &GasFusion,
    ) -> Result<(TranslatedFunc, FuncValidatorAllocations), CompileError> {
        let (params, _) = self.arity(module, type_id);
        let mut locals = 0u32;
        let mut locals_reader = body.get_locals_reader()?;
        for _ in 0..locals_reader.get_count() {
            let offset = locals_reader.original_position();
            let (count, ty) = locals_reader.read()?;
            validator.define_locals(offset, count, ty)?;
            locals += count; // the validator bounds the total number of locals
        }
        // Pass 1: validate, record operators, constants and the maximum stack height.
        self.start_pass1();
        let const_base = params + locals;
        let mut max_height = 0;
        let mut reader = body.get_operators_reader()?;
        let mut ops = std::mem::take(&mut self.ops);
        while !reader.eof() {
            let op = read_validated(&mut reader, &mut validator, &mut ops)?;
            max_height = max_height.max(validator.operand_stack_height());
            self.record_const(op, const_base, gas.charge_import);
        }
        reader.finish()?;
        // Pass 2: translate the recorded operators.
        let frame_size = self.start_pass2(module, type_id, locals, max_height)?;
        self.run(module, &ops, gas);
        self.ops = ops;
        let func = self.finish_pass2(params, locals, frame_size);
        Ok((func, validator.into_allocations()))
    }

    /// Translates one body of `module` (type engine id `type_id`) that was validated elsewhere,
    /// with `locals` declared locals and an operand stack reaching `max_height` as validation
    /// finds them: `record` calls its argument on what pass 1 records of the body (see
    /// [`Recorded`]) and `walk` on the body's operators, in runs and in order; each returns
    /// whether it could (the same runs every time). `None` if they could not.
    pub fn translate_validated(
        &mut self,
        module: &ModuleInner,
        type_id: u32,
        (locals, max_height): (u32, u32),
        record: impl Fn(&mut dyn FnMut(Recorded<'_, 'a>)) -> bool,
        walk: impl Fn(&mut dyn FnMut(&[Operator<'a>])) -> bool,
        gas: &GasFusion,
    ) -> Option<Result<TranslatedFunc, CompileError>> {
        let (params, _) = self.arity(module, type_id);
        self.start_pass1();
        let const_base = params + locals;
        let pass1 = &mut |part: Recorded<'_, 'a>| match part {
            Recorded::Ops(ops) => {
                for op in ops {
                    self.record_const(op, const_base, gas.charge_import);
                }
            }
            Recorded::Constants(constants) => {
                for &constant in constants {
                    self.record_value(constant, const_base);
                }
            }
        };
        if !record(pass1) {
            return None;
        }
        let frame_size = match self.start_pass2(module, type_id, locals, max_height) {
            Ok(size) => size,
            Err(e) => return Some(Err(e)),
        };
        // Never fails after the first walk did; if it did, the body is validated instead, which
        // starts both passes afresh.
        if !walk(&mut |ops| self.run(module, ops, gas)) {
            return None;
        }
        Some(Ok(self.finish_pass2(params, locals, frame_size)))
    }

    /// Empties what pass 1 records: the operators and the constant pool.
    fn start_pass1(&mut self) {
        self.fresh_amount = None;
        forget_all(&mut self.ops);
        self.consts.clear();
        self.amounts.clear();
        self.const_slots.clear();
    }

    /// Adds the value of a constant operator to the constant pool (slots from `const_base`),
    /// except the amount of a fused charge (an `i64.const` right before a call of the charge
    /// import `charge_import`), which pass 2 takes as an immediate (see [`Self::fused_charge`]).
    #[inline(always)]
    fn record_const(&mut self, op: &Operator<'_>, const_base: u32, charge_import: Option<u32>) {
        match *op {
            Operator::Call { function_index } if charge_import == Some(function_index) => {
                if let Some(amount) = self.fresh_amount.take() {
                    self.consts.pop();
                    self.const_slots.remove(&amount);
                    self.amounts.push(amount);
                }
            }
            _ => match Constant::of(op) {
                Some(constant) => self.record_value(constant, const_base),
                None => self.fresh_amount = None,
            },
        }
    }

    /// Adds `constant` to the constant pool (slots from `const_base`) unless it is there.
    #[inline(always)]
    fn record_value(&mut self, constant: Constant, const_base: u32) {
        self.fresh_amount = None;
        let next = const_base + self.consts.len() as u32;
        let value = constant.value;
        if let std::collections::hash_map::Entry::Vacant(e) = self.const_slots.entry(value) {
            e.insert(next);
            self.consts.push(value);
            if constant.amount {
                self.fresh_amount = Some(value);
            }
        }
    }

    /// The amount of the fused charge at the start of `ops` (`i64.const` of a non-negative
    /// amount, then a call of the charge import), if there is one there.
    fn fused_charge(ops: &[Operator<'_>], gas: &GasFusion) -> Option<u64> {
        match *ops {
            [Operator::I64Const { value }, Operator::Call { function_index }, ..]
                if value >= 0 && gas.charge_import == Some(function_index) =>
            {
                Some(value as u64)
            }
            _ => None,
        }
    }

    /// Lays out the frame of a body with `locals` declared locals whose operand stack reaches
    /// `max_height`, its constants pooled (pass 1 done), and starts pass 2; returns the frame
    /// size.
    fn start_pass2(
        &mut self,
        module: &ModuleInner,
        type_id: u32,
        locals: u32,
        max_height: u32,
    ) -> Result<u32, CompileError> {
        let (params, results) = self.arity(module, type_id);
        self.results = results;
        let const_base = params + locals;
        self.accessed.clear();
        self.accessed.resize(locals as usize, false);
        self.zero_from = locals;
        self.amounts.sort_unstable();
        self.amounts.dedup();
        let slots = &self.const_slots;
        self.amounts.retain(|amount| !slots.contains_key(amount));
        let pooled = self.consts.len() + self.amounts.len();
        let frame_size = u64::from(const_base) + pooled as u64 + u64::from(max_height) + 1;
        let frame_size = u32::try_from(frame_size)
            .ok()
            .filter(|&size| size < ACC)
            .ok_or_else(|| {
                CompileError::Limit("function frame exceeds 2^31 - 2 slots".to_string())
            })?;

        // Pass 2: translate.
        self.code.clear();
        self.ctrl.clear();
        self.stack.clear();
        self.reachable = true;
        self.last_result = None;
        self.label_pc = u32::MAX;
        self.open_charge = None;
        self.charge_parts.clear();
        self.const_base = const_base;
        self.temp_base = const_base + pooled as u32;
        self.consts_read = 0;
        self.ctrl.push(Ctrl {
            kind: CtrlKind::Func,
            height: 0,
            branch_arity: self.results,
            params: 0,
            results: self.results,
            loop_start: 0,
            fixups: Vec::new(),
            else_fixup: None,
            reachable_at_entry: true,
        });
        Ok(frame_size)
    }

    /// Translates the run `ops` of the body's operators (pass 2); runs come in order, and the
    /// fusions that look ahead find theirs within one run.
    fn run(&mut self, module: &ModuleInner, ops: &[Operator<'_>], gas: &GasFusion) {
        let mut i = 0;
        while i < ops.len() {
            if let Some(n) = self.fuse_limiter(module, &ops[i..], gas) {
                self.open_charge = None;
                i += n;
                continue;
            }
            if let Some(amount) = Self::fused_charge(&ops[i..], gas).filter(|_| self.reachable) {
                self.charge(amount);
                i += 2;
                continue;
            }
            if !keeps_charge_open(&ops[i], gas) {
                self.open_charge = None;
            }
            self.visit(module, &ops[i], gas);
            i += 1;
        }
    }

    /// Ends pass 2 of a body with `params` parameters and `locals` declared locals in a frame
    /// of `frame_size` slots.
    fn finish_pass2(&mut self, params: u32, locals: u32, frame_size: u32) -> TranslatedFunc {
        let zero_at = params + self.zero_from;
        let from_zero_at = locals - self.zero_from;
        self.init_zeros = if from_zero_at <= POOLED_ZEROS {
            from_zero_at
        } else {
            0
        };
        TranslatedFunc {
            entry: 0,
            params,
            locals,
            zero_at,
            zeroed: from_zero_at - self.init_zeros,
            init_start: 0,
            init_len: self.init_zeros + self.consts_read,
            frame_size,
            start: Start::Plain,
        }
    }

    // ----- The compile-time operand stack -----

    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    /// The slot of the value at height `h`.
    fn slot_of(&self, h: usize) -> u32 {
        match self.stack[h] {
            Opd::Temp => self.temp_base + h as u32,
            Opd::Local(i) => i,
            Opd::Const(slot, _) => slot,
        }
    }

    /// The slot of the value at height `h`, which an op will read (so for a constant, the
    /// frame initialiser must fill it).
    fn slot_at(&mut self, h: usize) -> u32 {
        let slot = self.slot_of(h);
        if let Opd::Const(..) = self.stack[h] {
            self.consts_read = self.consts_read.max(slot - self.const_base + 1);
        }
        slot
    }

    fn pop_slot(&mut self) -> u32 {
        let slot = self.slot_at(self.stack.len() - 1);
        self.stack.pop();
        slot
    }

    fn push_temp(&mut self) -> u32 {
        self.stack.push(Opd::Temp);
        self.temp_base + self.stack.len() as u32 - 1
    }

    fn emit(&mut self, op: Op) {
        self.code.push(op);
        self.last_result = None;
    }

    /// Emits an op whose result is the top temporary.
    fn emit_result(&mut self, op: Op) {
        self.code.push(op);
        self.last_result = Some((self.code.len() - 1, self.stack.len()));
    }

    /// Copies the value at height `h` into its temporary.
    fn materialize(&mut self, h: usize) {
        if self.stack[h] != Opd::Temp {
            let src = self.slot_at(h);
            self.emit(Op::Copy(R2 {
                dst: self.temp_base + h as u32,
                src,
            }));
            self.stack[h] = Opd::Temp;
        }
    }

    /// Moves the top `n` values into their temporaries.
    fn materialize_top(&mut self, n: u32) {
        let len = self.stack.len();
        for h in len - n as usize..len {
            self.materialize(h);
        }
    }

    /// Copies every stacked reference to a local for which `hit` holds (below height `below`)
    /// into its temporary.
    fn preserve_locals(&mut self, below: usize, hit: impl Fn(u32) -> bool) {
        for h in 0..below {
            if matches!(self.stack[h], Opd::Local(i) if hit(i)) {
                self.materialize(h);
            }
        }
    }

    /// Pops `n` operands that must sit in consecutive temporaries; returns the first slot.
    fn pop_in_place(&mut self, n: u32) -> u32 {
        self.materialize_top(n);
        let base = self.height() - n;
        self.stack.truncate(base as usize);
        self.temp_base + base
    }

    /// The top temporary if the last op produced it: the op's index. (A `drop` may have
    /// uncovered an older temporary since, hence the height check.)
    fn fresh_top(&self) -> Option<usize> {
        let (idx, height) = self.last_result?;
        let top = self.stack.len().checked_sub(1)?;
        (self.stack.len() == height && self.stack[top] == Opd::Temp).then_some(idx)
    }

    /// Pops the top operand for an op that can read the accumulator, the float one if `f64`
    /// (see [`Op::f64_operands`]): if the op just emitted produced it in that accumulator's
    /// kind and can write the accumulator, that op now does, and the operand is [`ACC`] (the two
    /// ops are adjacent, and nothing can branch in between).
    fn pop_acc(&mut self, f64: bool) -> u32 {
        if let Some(idx) = self
            .fresh_top()
            .filter(|&idx| self.code[idx].f64_result() == f64)
        {
            if let Some(dst) = self.code[idx].acc_result_mut() {
                *dst = ACC;
                self.last_result = None;
                self.stack.pop();
                return ACC;
            }
        }
        self.pop_slot()
    }

    // ----- Emission helpers -----

    fn unary(&mut self, make: fn(R2) -> Op) {
        let src = self.pop_acc(make(R2 { dst: 0, src: 0 }).f64_operands());
        let dst = self.push_temp();
        self.emit_result(make(R2 { dst, src }));
    }

    /// `memory.grow`, which runs outside the core and so never uses the accumulator.
    fn memory_grow(&mut self) {
        let src = self.pop_slot();
        let dst = self.push_temp();
        self.emit_result(Op::MemoryGrow(R2 { dst, src }));
    }

    fn binary(&mut self, make: fn(R3) -> Op) {
        let f64 = make(R3 { dst: 0, a: 0, b: 0 }).f64_operands();
        let b = match self.stack.last() {
            Some(&Opd::Const(_, Some(imm))) => {
                self.stack.pop();
                imm
            }
            _ => self.pop_acc(f64),
        };
        let a = self.pop_acc(f64);
        let dst = self.push_temp();
        self.emit_result(make(R3 { dst, a, b }));
    }

    /// For a memory access with static offset `offset`: if that is 0 and the address on top is
    /// the result of the `i32.add` just emitted, that add, removed (its operands become the
    /// access's, see [`SumArg`]).
    fn pop_address_sum(&mut self, offset: u64) -> Option<R3> {
        if offset != 0 {
            return None;
        }
        let idx = self.fresh_top()?;
        let Op::I32Add(add) = self.code[idx] else {
            return None;
        };
        self.code.truncate(idx);
        self.stack.pop();
        self.last_result = None;
        Some(add)
    }

    /// The probe of a memory op's kind (its slots are placeholders).
    fn mem_probe(make: fn(MemArg) -> Op) -> Op {
        make(MemArg {
            val: 0,
            addr: 0,
            offset: 0,
        })
    }

    fn load(&mut self, make: fn(MemArg) -> Op, offset: u64) {
        let at_sum = Self::mem_probe(make).at_sum();
        if let (Some(at_sum), Some(add)) = (at_sum, self.pop_address_sum(offset)) {
            let val = self.push_temp();
            self.emit_result(at_sum(SumArg {
                val,
                a: add.a,
                b: add.b,
            }));
            return;
        }
        let addr = self.pop_acc(false);
        let val = self.push_temp();
        self.emit_result(make(MemArg {
            val,
            addr,
            offset: offset as u32,
        }));
    }

    fn store(&mut self, make: fn(MemArg) -> Op, offset: u64) {
        let probe = Self::mem_probe(make);
        let val = self.pop_acc(probe.f64_operands());
        if val != ACC {
            if let (Some(at_sum), Some(add)) = (probe.at_sum(), self.pop_address_sum(offset)) {
                self.emit(at_sum(SumArg {
                    val,
                    a: add.a,
                    b: add.b,
                }));
                return;
            }
        }
        let addr = self.pop_acc(false);
        self.emit(make(MemArg {
            val,
            addr,
            offset: offset as u32,
        }));
    }

    /// Pops the i32 condition on top and emits a branch to `target` taken when the condition is
    /// `when`, fusing a comparison or `eqz` that just produced it. Returns the branch's index.
    fn branch_on(&mut self, when: bool, target: u32) -> u32 {
        if let Some(idx) = self.fresh_top() {
            let producer = self.code[idx];
            let fused = if let Some((r, if_true, if_false)) = producer.as_compare() {
                let make = if when { if_true } else { if_false };
                Some(make(BrCmp {
                    a: r.a,
                    b: r.b,
                    target,
                }))
            } else {
                match producer {
                    Op::I32Eqz(r) => Some(Self::test(!when, false, r.src, target)),
                    Op::I64Eqz(r) => Some(Self::test(!when, true, r.src, target)),
                    _ => None,
                }
            };
            if let Some(op) = fused {
                self.code.pop();
                self.stack.pop();
                if let Some(fused) = self.fuse_add(op) {
                    *self.code.last_mut().expect("the add") = fused;
                    self.emit(Op::BrTarget(target));
                } else {
                    self.emit(op);
                }
                return self.pc() - 1;
            }
        }
        let cond = self.pop_acc(false);
        self.emit(Self::test(when, false, cond, target));
        self.pc() - 1
    }

    /// For the compare-and-branch `br` about to be emitted: if the op before it is an add of
    /// the same width into the slot that `br` compares first (`x = x + step`), and no label lies
    /// between them, the add-and-branch that replaces that add (followed by the target).
    fn fuse_add(&self, mut br: Op) -> Option<Op> {
        if self.label_pc == self.pc() {
            return None;
        }
        let prev = self.code.last()?;
        let (add, _) = br.after_add(prev)?;
        if br.br_cmp_mut()?.b == add.dst {
            // `bound ⊕ x`: test `x ⊕' bound` (`b` is then the slot `x`, never an immediate).
            br = br.mirrored()?;
        }
        let (_, after_add) = br.after_add(prev)?;
        let cmp = *br.br_cmp_mut()?;
        let in_slots = add.a != ACC && add.b != ACC && cmp.b != ACC;
        (add.dst == add.a && add.a == cmp.a && in_slots).then(|| {
            after_add(AddBr {
                x: add.a,
                step: add.b,
                bound: cmp.b,
            })
        })
    }

    /// A branch on a slot being non-zero (`nonzero`) or zero, as i32 or i64.
    fn test(nonzero: bool, wide: bool, cond: u32, target: u32) -> Op {
        let t = BrTest { cond, target };
        match (nonzero, wide) {
            (true, false) => Op::BrIfNez(t),
            (false, false) => Op::BrIfEqz(t),
            (true, true) => Op::BrIfI64Nez(t),
            (false, true) => Op::BrIfI64Eqz(t),
        }
    }

    fn patch(&mut self, at: u32) {
        let target = self.pc();
        self.code[at as usize].set_target(target);
        self.last_result = None;
        self.label_pc = target;
    }

    fn frame(&self, depth: u32) -> &Ctrl {
        &self.ctrl[self.ctrl.len() - 1 - depth as usize]
    }

    /// Whether a branch to `depth` must move its values.
    fn needs_moves(&self, depth: u32) -> bool {
        let frame = self.frame(depth);
        let k = frame.branch_arity as usize;
        let top = self.stack.len();
        (0..k).any(|j| self.slot_of(top - k + j) != self.temp_base + frame.height + j as u32)
    }

    /// Copies the top values carried by a branch to `depth` into the label's slots.
    fn emit_moves(&mut self, depth: u32) {
        let frame = self.frame(depth);
        let (k, dst_base) = (frame.branch_arity as usize, self.temp_base + frame.height);
        let top = self.stack.len();
        for j in 0..k {
            let src = self.slot_at(top - k + j);
            let dst = dst_base + j as u32;
            if src != dst {
                self.emit(Op::Copy(R2 { dst, src }));
            }
        }
    }

    /// Emits an unconditional jump to label `depth` (recording a fixup for forward labels).
    fn jump(&mut self, depth: u32) {
        let at = self.pc();
        let idx = self.ctrl.len() - 1 - depth as usize;
        let frame = &mut self.ctrl[idx];
        let target = if frame.kind == CtrlKind::Loop {
            frame.loop_start
        } else {
            frame.fixups.push(at);
            0
        };
        self.emit(Op::Jump(target));
    }

    /// Emits the return of the top `results` values.
    fn emit_return(&mut self) {
        match self.results {
            1 => {
                let src = self.slot_at(self.stack.len() - 1);
                self.emit(Op::Return1(src));
            }
            n => {
                self.materialize_top(n);
                let base = self.temp_base + self.height() - n;
                self.emit(Op::Return(base, n));
            }
        }
    }

    fn is_return(&self, depth: u32) -> bool {
        depth as usize == self.ctrl.len() - 1
    }

    /// The parameter and result counts of the function type with engine id `id`.
    fn arity(&mut self, module: &ModuleInner, id: u32) -> (u32, u32) {
        *self.arities.entry(id).or_insert_with(|| {
            let ty = module.engine.func_type(id);
            (ty.params().len() as u32, ty.results().len() as u32)
        })
    }

    fn block_arity(&mut self, module: &ModuleInner, ty: BlockType) -> (u32, u32) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(idx) => self.arity(module, module.types[idx as usize]),
        }
    }

    /// Enters a block whose `params` are on top: locals below are preserved and the
    /// parameters put in their temporaries.
    fn enter(&mut self, kind: CtrlKind, params: u32, results: u32) {
        let reachable = self.reachable;
        let height = self.height().saturating_sub(params);
        if reachable {
            self.preserve_locals(height as usize, |_| true);
            self.materialize_top(params);
        }
        self.last_result = None;
        if kind == CtrlKind::Loop {
            self.label_pc = self.pc();
        }
        self.ctrl.push(Ctrl {
            kind,
            height,
            branch_arity: if kind == CtrlKind::Loop {
                params
            } else {
                results
            },
            params,
            results,
            loop_start: self.pc(),
            fixups: Vec::new(),
            else_fixup: None,
            reachable_at_entry: reachable,
        });
    }

    /// Resets the model stack to a block's base plus `n` values in their temporaries.
    fn reset_stack(&mut self, height: u32, n: u32) {
        self.stack.truncate(height as usize);
        self.stack.resize((height + n) as usize, Opd::Temp);
    }

    /// Emits a rarer op whose `operands` sit in consecutive temporaries and whose `results`
    /// (0 or 1) replace them from the same base slot.
    fn in_place(
        &mut self,
        operands: u32,
        results: u32,
        make: fn(Base) -> Op,
        index: u32,
        other: u32,
    ) {
        let base = self.pop_in_place(operands);
        for _ in 0..results {
            self.push_temp();
        }
        self.emit(make(Base { base, index, other }));
    }

    fn call(&mut self, module: &ModuleInner, type_id: u32, make: impl FnOnce(u32) -> Op) {
        let (params, results) = self.arity(module, type_id);
        let base = self.pop_in_place(params);
        self.emit(make(base));
        for _ in 0..results {
            self.push_temp();
        }
    }

    /// Translates a call of a gas-charging function as a native charge; returns whether it did.
    fn fuse_gas(&mut self, function_index: u32, gas: &GasFusion) -> bool {
        if gas.charge_import == Some(function_index) {
            if let Some(&Opd::Const(slot, _)) = self.stack.last() {
                let amount = self.consts[(slot - self.const_base) as usize];
                if (amount as i64) >= 0 {
                    self.stack.pop();
                    self.charge(amount);
                    return true;
                }
            }
            self.open_charge = None;
            return false;
        }
        let Some(helper) = gas.helper(function_index) else {
            return false;
        };
        let n = self.slot_at(self.stack.len() - 1);
        self.emit(match helper.charge {
            GasCharge::PerUnit(k) => Op::ChargePerUnit(n, k),
            GasCharge::PerWord32(k) => Op::ChargePerWord32(n, k),
        });
        if helper.grow_memory {
            self.memory_grow();
        }
        true
    }

    /// Emits a constant charge, or adds it to the open one (see [`keeps_charge_open`]).
    fn charge(&mut self, amount: u64) {
        if let Some(at) = self.open_charge {
            if let Op::ConsumeGas(total) = &mut self.code[at] {
                if let Some(sum) = total.checked_add(amount) {
                    let pc = at as u32;
                    if self.charge_parts.last().is_none_or(|&(last, _)| last != pc) {
                        self.charge_parts.push((pc, *total));
                    }
                    self.charge_parts.push((pc, amount));
                    *total = sum;
                    self.last_result = None;
                    return;
                }
            }
        }
        self.emit(Op::ConsumeGas(amount));
        self.open_charge = Some(self.code.len() - 1);
    }

    /// Translates the stack-height limiter's code at the start of `ops` as native ops (see
    /// [`GasFusion::stack_height`]); returns the number of operators consumed, or `None` (nothing
    /// emitted) if `ops` does not start with one of these exact shapes, `g` being the height
    /// global and the constants any values:
    ///
    /// - prologue: `global.get g; i32.const c; i32.add; global.set g; global.get g;
    ///   i32.const L; i32.gt_u; if (empty type); T; unreachable; end` where the trap block's
    ///   charge `T` is `i64.const N; call $charge` with `$charge` the fused charge import and
    ///   `0 ≤ N ≤ i64::MAX` (the gas injector's region charge of the `if` body), or nothing.
    ///   Emits `StackEnter {g, c, L}; ConsumeGas(N or 0); Unreachable`, after moving the
    ///   arguments of a `call` that follows into their temporaries (as the call would).
    /// - epilogue: `global.get g; i32.const c; i32.sub; global.set g`. Emits `StackLeave(g, c)`.
    ///
    /// The gas injector opens regions only after `block`/`loop`/`if`/`else` and at the function
    /// start, so the charges of the enclosing region come before a prologue (the limiter's
    /// instructions are charged with the call in that region) and the only charge inside one
    /// is `T`, at the start of the `if` body; nothing is charged in an epilogue. The net
    /// effect on the operand stack is nil and no local is written, so the model stack needs no
    /// change; only reachable code is fused (unreachable code emits nothing anyway).
    fn fuse_limiter(
        &mut self,
        module: &ModuleInner,
        ops: &[Operator<'_>],
        gas: &GasFusion,
    ) -> Option<usize> {
        use Operator as O;
        let g = gas.stack_height?;
        if !self.reachable {
            return None;
        }
        let [O::GlobalGet { global_index: g0 }, O::I32Const { value: cost }, ref add, O::GlobalSet { global_index: g1 }, ref rest @ ..] =
            *ops
        else {
            return None;
        };
        if g0 != g || g1 != g {
            return None;
        }
        let cost = cost as u32;
        match add {
            O::I32Sub => {
                self.emit(Op::StackLeave(g, cost));
                return Some(4);
            }
            O::I32Add => {}
            _ => return None,
        }
        let [O::GlobalGet { global_index: g2 }, O::I32Const { value: limit }, O::I32GtU, O::If {
            blockty: BlockType::Empty,
        }, ref body @ ..] = *rest
        else {
            return None;
        };
        if g2 != g {
            return None;
        }
        let (charge, len) = match *body {
            [O::I64Const { value }, O::Call { function_index }, O::Unreachable, O::End, ..]
                if value >= 0 && gas.charge_import == Some(function_index) =>
            {
                (value as u64, 4)
            }
            [O::Unreachable, O::End, ..] => (0, 2),
            _ => return None,
        };
        // The guarded call's arguments are put in place first (pure moves into temporaries
        // that the prologue does not touch), so that the check and the call are adjacent.
        if let Some(O::Call { function_index }) = body.get(len) {
            if let Some(&type_id) = module.func_types.get(*function_index as usize) {
                let (n, _) = self.arity(module, type_id);
                if n <= self.height() {
                    self.materialize_top(n);
                }
            }
        }
        self.emit(Op::StackEnter(StackCheck {
            global: g,
            cost,
            limit: limit as u32,
        }));
        self.emit(Op::ConsumeGas(charge));
        self.emit(Op::Unreachable);
        Some(8 + len)
    }

    // ----- Operators -----

    fn visit(&mut self, module: &ModuleInner, op: &Operator<'_>, gas: &GasFusion) {
        // Structured control keeps the control stack in step even in unreachable code.
        match *op {
            Operator::Block { blockty } => {
                let (params, results) = self.block_arity(module, blockty);
                return self.enter(CtrlKind::Block, params, results);
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_arity(module, blockty);
                return self.enter(CtrlKind::Loop, params, results);
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_arity(module, blockty);
                if !self.reachable {
                    return self.enter(CtrlKind::If, params, results);
                }
                let below = self.stack.len() - 1;
                let clean = (0..below).all(|h| !matches!(self.stack[h], Opd::Local(_)))
                    && (below - params as usize..below).all(|h| self.stack[h] == Opd::Temp);
                if !clean {
                    // Copies must run before the branch, on both paths.
                    self.preserve_locals(below, |_| true);
                    for h in below - params as usize..below {
                        self.materialize(h);
                    }
                }
                let at = self.branch_on(false, 0);
                self.enter(CtrlKind::If, params, results);
                self.ctrl.last_mut().expect("if frame").else_fixup = Some(at);
                return;
            }
            Operator::Else => {
                if self.reachable {
                    let results = self.ctrl.last().expect("if frame").results;
                    self.materialize_top(results);
                    self.jump(0);
                }
                let frame = self.ctrl.last_mut().expect("if frame");
                frame.kind = CtrlKind::Else;
                let (else_fixup, height, params) =
                    (frame.else_fixup.take(), frame.height, frame.params);
                self.reachable = frame.reachable_at_entry;
                if let Some(at) = else_fixup {
                    self.patch(at);
                }
                self.reset_stack(height, params);
                self.last_result = None;
                return;
            }
            Operator::End => {
                let results = self.ctrl.last().expect("control frame").results;
                if self.reachable {
                    self.materialize_top(results);
                }
                let frame = self.ctrl.pop().expect("validated control stack");
                if frame.kind == CtrlKind::Func {
                    if self.reachable {
                        self.emit_return();
                    }
                    return;
                }
                for at in frame.else_fixup.into_iter().chain(frame.fixups) {
                    self.patch(at);
                }
                self.reachable = frame.reachable_at_entry;
                self.reset_stack(frame.height, frame.results);
                self.last_result = None;
                return;
            }
            _ => {}
        }
        if !self.reachable {
            return;
        }
        match *op {
            Operator::Nop
            | Operator::I32ReinterpretF32
            | Operator::F32ReinterpretI32
            | Operator::I64ReinterpretF64
            | Operator::F64ReinterpretI64 => {}
            Operator::Unreachable => {
                self.emit(Op::Unreachable);
                self.reachable = false;
            }
            Operator::Br { relative_depth } => {
                if self.is_return(relative_depth) {
                    self.emit_return();
                } else {
                    self.emit_moves(relative_depth);
                    self.jump(relative_depth);
                }
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                if !self.is_return(relative_depth) {
                    // The condition is on top, the carried values beneath it.
                    let cond = self.stack.pop().expect("validated");
                    let moves = self.needs_moves(relative_depth);
                    self.stack.push(cond);
                    if !moves {
                        let frame = self.frame(relative_depth);
                        let target = if frame.kind == CtrlKind::Loop {
                            frame.loop_start
                        } else {
                            0
                        };
                        let at = self.branch_on(true, target);
                        if self.frame(relative_depth).kind != CtrlKind::Loop {
                            let idx = self.ctrl.len() - 1 - relative_depth as usize;
                            self.ctrl[idx].fixups.push(at);
                        }
                        return;
                    }
                }
                let skip = self.branch_on(false, 0);
                if self.is_return(relative_depth) {
                    self.emit_return();
                } else {
                    self.emit_moves(relative_depth);
                    self.jump(relative_depth);
                }
                self.patch(skip);
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop_slot();
                let k = self.frame(targets.default()).branch_arity;
                self.materialize_top(k);
                let src = self.temp_base + self.height() - k;
                self.emit(Op::BrTable(index, targets.len(), src));
                let depths = targets
                    .targets()
                    .map(|t| t.unwrap_or(0))
                    .chain(std::iter::once(targets.default()));
                for depth in depths.collect::<Vec<_>>() {
                    let entry = if self.is_return(depth) {
                        BrEntry {
                            target: RETURN_TARGET,
                            dst: 0,
                            count: k,
                        }
                    } else {
                        let at = self.pc();
                        let idx = self.ctrl.len() - 1 - depth as usize;
                        let frame = &mut self.ctrl[idx];
                        let target = if frame.kind == CtrlKind::Loop {
                            frame.loop_start
                        } else {
                            frame.fixups.push(at);
                            0
                        };
                        BrEntry {
                            target,
                            dst: self.temp_base + frame.height,
                            count: k,
                        }
                    };
                    self.emit(Op::BrEntry(entry));
                }
                self.reachable = false;
            }
            Operator::Return => {
                self.emit_return();
                self.reachable = false;
            }
            Operator::Call { function_index } => {
                if self.fuse_gas(function_index, gas) {
                    return;
                }
                let type_id = module.func_types[function_index as usize];
                match function_index.checked_sub(module.num_imported_funcs) {
                    Some(defined) => {
                        self.call(module, type_id, |base| Op::CallInternal(defined, base))
                    }
                    None => self.call(module, type_id, |base| Op::CallImport(function_index, base)),
                }
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let type_id = module.types[type_index as usize];
                let index = self.pop_slot();
                self.emit(Op::CallIndirect(type_id, table_index, index));
                // The argument base follows as a pseudo-op, so no copies may come between.
                let (n, _) = self.arity(module, type_id);
                let len = self.stack.len();
                let clean = (len - n as usize..len).all(|h| self.stack[h] == Opd::Temp);
                if !clean {
                    self.code.pop();
                    self.materialize_top(n);
                    self.emit(Op::CallIndirect(type_id, table_index, index));
                }
                self.call(module, type_id, Op::CallArgs);
            }
            Operator::Drop => {
                self.stack.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let cond = self.pop_slot();
                let b = self.pop_slot();
                let dst = self.pop_in_place(1);
                self.push_temp();
                self.emit(Op::Select(R3 { dst, a: b, b: cond }));
            }
            Operator::LocalGet { local_index } => {
                self.note_access(local_index, false);
                self.stack.push(Opd::Local(local_index));
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                self.note_access(local_index, true);
                let tee = matches!(op, Operator::LocalTee { .. });
                self.set_local(local_index, tee);
            }
            Operator::GlobalGet { global_index } => {
                let dst = self.push_temp();
                self.emit_result(Op::GlobalGet(dst, global_index));
            }
            Operator::GlobalSet { global_index } => {
                let src = self.pop_slot();
                self.emit(Op::GlobalSet(src, global_index));
            }
            Operator::I32Const { value } => self.push_const(value as u32 as u64, imm(value.into())),
            Operator::I64Const { value } => self.push_const(value as u64, imm(value)),
            Operator::F32Const { value } => self.push_const(value.bits() as u64, None),
            Operator::F64Const { value } => self.push_const(value.bits(), None),
            Operator::RefNull { .. } => self.push_const(0, None),
            Operator::RefIsNull => self.unary(Op::I64Eqz),
            Operator::RefFunc { function_index } => {
                let dst = self.push_temp();
                self.emit(Op::RefFunc(dst, function_index));
            }
            Operator::TableGet { table } => self.in_place(1, 1, Op::TableGet, table, 0),
            Operator::TableSet { table } => self.in_place(2, 0, Op::TableSet, table, 0),
            Operator::TableSize { table } => {
                let dst = self.push_temp();
                self.emit(Op::TableSize(dst, table));
            }
            Operator::TableGrow { table } => self.in_place(2, 1, Op::TableGrow, table, 0),
            Operator::TableFill { table } => self.in_place(3, 0, Op::TableFill, table, 0),
            Operator::TableCopy {
                dst_table,
                src_table,
            } => self.in_place(3, 0, Op::TableCopy, dst_table, src_table),
            Operator::TableInit { elem_index, table } => {
                self.in_place(3, 0, Op::TableInit, table, elem_index)
            }
            Operator::ElemDrop { elem_index } => self.emit(Op::ElemDrop(elem_index)),
            Operator::MemorySize { .. } => {
                let dst = self.push_temp();
                self.emit(Op::MemorySize(dst));
            }
            Operator::MemoryGrow { .. } => self.memory_grow(),
            Operator::MemoryInit { data_index, .. } => {
                self.in_place(3, 0, Op::MemoryInit, data_index, 0)
            }
            Operator::DataDrop { data_index } => self.emit(Op::DataDrop(data_index)),
            Operator::MemoryCopy { .. } => {
                let base = self.pop_in_place(3);
                self.emit(Op::MemoryCopy(base));
            }
            Operator::MemoryFill { .. } => {
                let base = self.pop_in_place(3);
                self.emit(Op::MemoryFill(base));
            }
            Operator::I32Load { memarg } | Operator::F32Load { memarg } => {
                self.load(Op::I32Load, memarg.offset)
            }
            Operator::I64Load { memarg } => self.load(Op::I64Load, memarg.offset),
            Operator::F64Load { memarg } => self.load(Op::F64Load, memarg.offset),
            Operator::I32Load8S { memarg } => self.load(Op::I32Load8S, memarg.offset),
            Operator::I32Load8U { memarg } => self.load(Op::I32Load8U, memarg.offset),
            Operator::I32Load16S { memarg } => self.load(Op::I32Load16S, memarg.offset),
            Operator::I32Load16U { memarg } => self.load(Op::I32Load16U, memarg.offset),
            Operator::I64Load8S { memarg } => self.load(Op::I64Load8S, memarg.offset),
            Operator::I64Load8U { memarg } => self.load(Op::I64Load8U, memarg.offset),
            Operator::I64Load16S { memarg } => self.load(Op::I64Load16S, memarg.offset),
            Operator::I64Load16U { memarg } => self.load(Op::I64Load16U, memarg.offset),
            Operator::I64Load32S { memarg } => self.load(Op::I64Load32S, memarg.offset),
            Operator::I64Load32U { memarg } => self.load(Op::I64Load32U, memarg.offset),
            Operator::I32Store { memarg } | Operator::F32Store { memarg } => {
                self.store(Op::I32Store, memarg.offset)
            }
            Operator::I64Store { memarg } => self.store(Op::I64Store, memarg.offset),
            Operator::F64Store { memarg } => self.store(Op::F64Store, memarg.offset),
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(Op::I32Store8, memarg.offset)
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(Op::I32Store16, memarg.offset)
            }
            Operator::I64Store32 { memarg } => self.store(Op::I64Store32, memarg.offset),
            ref other => self.numeric(other),
        }
    }

    /// Pushes a constant held in a slot as `value`, and as the immediate `imm` if an integer.
    fn push_const(&mut self, value: u64, imm: Option<u32>) {
        let slot = self.const_slots[&value];
        self.stack.push(Opd::Const(slot, imm));
    }

    /// Notes a reachable access of `local`, a write if `write`. Zeroing on entry covers the
    /// declared locals from the first one that may be read before it is written. A local
    /// whose first access is a write at the function's own level (not inside a block, loop or
    /// `if`), in code the translator reaches, needs no zero: at that level code runs straight
    /// through (its only label is the function's own, at its end, and every block before the
    /// write has ended), so every later access, at any depth, runs after the write. Code the
    /// translator does not reach is not translated, so its accesses never run.
    #[inline(always)]
    fn note_access(&mut self, local: u32, write: bool) {
        let params = self.const_base - self.accessed.len() as u32;
        let Some(declared) = local.checked_sub(params) else {
            return;
        };
        let Some(accessed) = self.accessed.get_mut(declared as usize) else {
            return;
        };
        if !*accessed {
            *accessed = true;
            if !write || self.ctrl.len() > 1 {
                self.zero_from = self.zero_from.min(declared);
            }
        }
    }

    /// `local.set`/`local.tee`: writes the top value to `local`, retargeting the op that just
    /// computed it when possible.
    fn set_local(&mut self, local: u32, tee: bool) {
        let top = self.stack.len() - 1;
        if self.stack[top] == Opd::Local(local) {
            if !tee {
                self.stack.pop();
            }
            return;
        }
        let others = (0..top).any(|h| self.stack[h] == Opd::Local(local));
        if let (Some(idx), false) = (self.fresh_top(), others) {
            if let Some(dst) = self.code[idx].dst_mut() {
                *dst = local;
                self.last_result = None;
                self.stack[top] = Opd::Local(local);
                if !tee {
                    self.stack.pop();
                }
                return;
            }
        }
        self.preserve_locals(top, |i| i == local);
        let src = self.slot_at(top);
        self.emit(Op::Copy(R2 { dst: local, src }));
        if tee {
            if self.stack[top] == Opd::Temp {
                self.stack[top] = Opd::Local(local);
            }
        } else {
            self.stack.pop();
        }
    }

    fn numeric(&mut self, op: &Operator<'_>) {
        let binary = same_name!(*op, fn(R3) -> Op;
            I32Eq I32Ne I32LtS I32LtU I32GtS I32GtU I32LeS I32LeU I32GeS I32GeU
            I32Add I32Sub I32Mul I32DivS I32DivU I32RemS I32RemU I32And I32Or I32Xor
            I32Shl I32ShrS I32ShrU I32Rotl I32Rotr
            I64Eq I64Ne I64LtS I64LtU I64GtS I64GtU I64LeS I64LeU I64GeS I64GeU
            I64Add I64Sub I64Mul I64DivS I64DivU I64RemS I64RemU I64And I64Or I64Xor
            I64Shl I64ShrS I64ShrU I64Rotl I64Rotr
            F32Eq F32Ne F32Lt F32Gt F32Le F32Ge F32Add F32Sub F32Mul F32Div F32Min F32Max F32Copysign
            F64Eq F64Ne F64Lt F64Gt F64Le F64Ge F64Add F64Sub F64Mul F64Div F64Min F64Max F64Copysign);
        if let Some(make) = binary {
            return self.binary(make);
        }
        let unary = same_name!(*op, fn(R2) -> Op;
            I32Eqz I32Clz I32Ctz I32Popcnt I64Eqz I64Clz I64Ctz I64Popcnt
            F32Abs F32Neg F32Ceil F32Floor F32Trunc F32Nearest F32Sqrt
            F64Abs F64Neg F64Ceil F64Floor F64Trunc F64Nearest F64Sqrt
            I32WrapI64 I32TruncF32S I32TruncF32U I32TruncF64S I32TruncF64U
            I64ExtendI32S I64ExtendI32U I64TruncF32S I64TruncF32U I64TruncF64S I64TruncF64U
            F32ConvertI32S F32ConvertI32U F32ConvertI64S F32ConvertI64U F32DemoteF64
            F64ConvertI32S F64ConvertI32U F64ConvertI64S F64ConvertI64U F64PromoteF32
            I32Extend8S I32Extend16S I64Extend8S I64Extend16S I64Extend32S
            I32TruncSatF32S I32TruncSatF32U I32TruncSatF64S I32TruncSatF64U
            I64TruncSatF32S I64TruncSatF32U I64TruncSatF64S I64TruncSatF64U);
        if let Some(make) = unary {
            return self.unary(make);
        }
        // Everything else was rejected by the validator (disabled proposals).
        unreachable!("validated operator {op:?} has no translation");
    }
}
