//! Translation of one validated function body into internal code (see [`super::ir`]).
//!
//! Validation and translation run in one pass: each operator is first given to `wasmparser`'s
//! function validator, then translated, so the translator may assume valid input. The validator's
//! operand-stack height before each operator is what fixes every branch's `drop`/`keep`.

use wasmparser::{
    BlockType, FuncValidator, FuncValidatorAllocations, FunctionBody, Operator, ValidatorResources,
};

use super::error::CompileError;
use super::ir::{Branch, Op};
use super::module::ModuleInner;

/// Frame layout and entry point of a translated function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TranslatedFunc {
    /// Absolute index of the first op in the module's code.
    pub entry: u32,
    /// Number of parameters.
    pub params: u32,
    /// Number of declared (zero-initialised) locals beyond the parameters.
    pub locals: u32,
    /// Slots the frame may use: parameters, locals and the maximum operand height.
    pub frame_size: u32,
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
    /// Target of backward branches (loops).
    loop_start: u32,
    /// Ops (indices in the function's code) waiting for this block's end.
    fixups: Vec<u32>,
    /// The `BrIfEqz` of an `if`, waiting for its `else` or `end`.
    else_fixup: Option<u32>,
    /// Whether code was reachable when the block was entered.
    reachable_at_entry: bool,
}

/// Translates function bodies, reusing its buffers from one function to the next.
#[derive(Debug, Default)]
pub(crate) struct FuncTranslator {
    code: Vec<Op>,
    ctrl: Vec<Ctrl>,
    reachable: bool,
    /// Absolute pc of the function's first op.
    base: u32,
    results: u32,
}

macro_rules! same_name {
    ($op:expr; $($name:ident)*) => {
        match $op {
            $(Operator::$name => Some(Op::$name),)*
            _ => None,
        }
    };
}

macro_rules! with_memarg {
    ($op:expr; $($name:ident)*) => {
        match $op {
            $(Operator::$name { memarg } => Some(Op::$name(memarg.offset as u32)),)*
            _ => None,
        }
    };
}

impl FuncTranslator {
    /// The code of the last translated function (branch targets are absolute).
    pub fn code(&self) -> &[Op] {
        &self.code
    }

    /// Validates and translates one body of `module` whose type has engine id `type_id`.
    pub fn translate(
        &mut self,
        module: &ModuleInner,
        type_id: u32,
        mut validator: FuncValidator<ValidatorResources>,
        body: &FunctionBody<'_>,
    ) -> Result<(TranslatedFunc, FuncValidatorAllocations), CompileError> {
        let ty = module.engine.func_type(type_id);
        let params = ty.params().len() as u32;
        self.results = ty.results().len() as u32;
        let mut locals = 0u32;
        let mut locals_reader = body.get_locals_reader()?;
        for _ in 0..locals_reader.get_count() {
            let offset = locals_reader.original_position();
            let (count, ty) = locals_reader.read()?;
            validator.define_locals(offset, count, ty)?;
            locals += count; // the validator bounds the total number of locals
        }
        self.code.clear();
        self.ctrl.clear();
        self.reachable = true;
        self.base = module.code.len() as u32;
        self.ctrl.push(Ctrl {
            kind: CtrlKind::Func,
            height: 0,
            branch_arity: self.results,
            loop_start: 0,
            fixups: Vec::new(),
            else_fixup: None,
            reachable_at_entry: true,
        });
        let mut max_height = 0;
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let offset = reader.original_position();
            let op = reader.read()?;
            let height = validator.operand_stack_height();
            validator.op(offset, &op)?;
            self.visit(module, op, height)?;
            max_height = max_height.max(validator.operand_stack_height());
        }
        reader.finish()?;
        let frame_size = params + locals + max_height + 1;
        let func = TranslatedFunc {
            entry: self.base,
            params,
            locals,
            frame_size,
        };
        Ok((func, validator.into_allocations()))
    }

    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    fn block_arity(module: &ModuleInner, ty: BlockType) -> (u32, u32) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(idx) => {
                let ft = module.engine.func_type(module.types[idx as usize]);
                (ft.params().len() as u32, ft.results().len() as u32)
            }
        }
    }

    fn push_ctrl(&mut self, kind: CtrlKind, height: u32, branch_arity: u32) {
        self.ctrl.push(Ctrl {
            kind,
            height,
            branch_arity,
            loop_start: self.base + self.pc(),
            fixups: Vec::new(),
            else_fixup: None,
            reachable_at_entry: self.reachable,
        });
    }

    fn patch(&mut self, at: u32) {
        let target = self.base + self.pc();
        self.code[at as usize].set_target(target);
    }

    /// The op for a branch to label `depth` taken with `height` operands on the stack:
    /// a `Br`-shaped branch (recording a fixup for forward targets) or a `Return`.
    fn branch(&mut self, depth: u32, height: u32) -> Result<Branch, Op> {
        let at = self.pc();
        let idx = self.ctrl.len() - 1 - depth as usize;
        let frame = &mut self.ctrl[idx];
        if frame.kind == CtrlKind::Func {
            return Err(Op::Return { keep: self.results });
        }
        let keep = frame.branch_arity;
        let drop = height - frame.height - keep;
        let target = if frame.kind == CtrlKind::Loop {
            frame.loop_start
        } else {
            frame.fixups.push(at);
            0
        };
        Ok(Branch { target, drop, keep })
    }

    fn visit(
        &mut self,
        module: &ModuleInner,
        op: Operator<'_>,
        height: u32,
    ) -> Result<(), CompileError> {
        // Structured control keeps the control stack in step even in unreachable code.
        match op {
            Operator::Block { blockty } => {
                let (params, _) = Self::block_arity(module, blockty);
                let results = Self::block_arity(module, blockty).1;
                self.push_ctrl(CtrlKind::Block, height.saturating_sub(params), results);
                return Ok(());
            }
            Operator::Loop { blockty } => {
                let (params, _) = Self::block_arity(module, blockty);
                self.push_ctrl(CtrlKind::Loop, height.saturating_sub(params), params);
                return Ok(());
            }
            Operator::If { blockty } => {
                let (params, results) = Self::block_arity(module, blockty);
                let base = height.saturating_sub(1 + params);
                self.push_ctrl(CtrlKind::If, base, results);
                if self.reachable {
                    let at = self.pc();
                    self.code.push(Op::BrIfEqz(0));
                    self.ctrl.last_mut().expect("if frame").else_fixup = Some(at);
                }
                return Ok(());
            }
            Operator::Else => {
                if self.reachable {
                    let at = self.pc();
                    self.code.push(Op::Br(Branch {
                        target: 0,
                        drop: 0,
                        keep: 0,
                    }));
                    self.ctrl.last_mut().expect("if frame").fixups.push(at);
                }
                let frame = self.ctrl.last_mut().expect("if frame");
                frame.kind = CtrlKind::Else;
                let else_fixup = frame.else_fixup.take();
                self.reachable = frame.reachable_at_entry;
                if let Some(at) = else_fixup {
                    self.patch(at);
                }
                return Ok(());
            }
            Operator::End => {
                let frame = self.ctrl.pop().expect("validated control stack");
                if frame.kind == CtrlKind::Func {
                    if self.reachable {
                        self.code.push(Op::Return { keep: self.results });
                    }
                    return Ok(());
                }
                for at in frame.else_fixup.into_iter().chain(frame.fixups) {
                    self.patch(at);
                }
                self.reachable = frame.reachable_at_entry;
                return Ok(());
            }
            _ => {}
        }
        if !self.reachable {
            return Ok(());
        }
        let op = match op {
            Operator::Nop
            | Operator::I32ReinterpretF32
            | Operator::F32ReinterpretI32
            | Operator::I64ReinterpretF64
            | Operator::F64ReinterpretI64 => return Ok(()),
            Operator::Unreachable => {
                self.reachable = false;
                Op::Unreachable
            }
            Operator::Br { relative_depth } => {
                self.reachable = false;
                match self.branch(relative_depth, height) {
                    Ok(b) => Op::Br(b),
                    Err(ret) => ret,
                }
            }
            Operator::BrIf { relative_depth } => match self.branch(relative_depth, height - 1) {
                Ok(b) => Op::BrIfNez(b),
                Err(ret) => {
                    let skip = self.base + self.pc() + 2;
                    self.code.push(Op::BrIfEqz(skip));
                    ret
                }
            },
            Operator::BrTable { targets } => {
                self.reachable = false;
                let len = targets.len();
                self.code.push(Op::BrTable { len });
                let default = targets.default();
                for depth in targets.targets().chain(std::iter::once(Ok(default))) {
                    let op = match self.branch(depth?, height - 1) {
                        Ok(b) => Op::Br(b),
                        Err(ret) => ret,
                    };
                    self.code.push(op);
                }
                return Ok(());
            }
            Operator::Return => {
                self.reachable = false;
                Op::Return { keep: self.results }
            }
            Operator::Call { function_index } => {
                match function_index.checked_sub(module.num_imported_funcs) {
                    Some(defined) => Op::CallInternal(defined),
                    None => Op::CallImport(function_index),
                }
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => Op::CallIndirect {
                type_id: module.types[type_index as usize],
                table: table_index,
            },
            Operator::Drop => Op::Drop,
            Operator::Select | Operator::TypedSelect { .. } => Op::Select,
            Operator::LocalGet { local_index } => Op::LocalGet(local_index),
            Operator::LocalSet { local_index } => Op::LocalSet(local_index),
            Operator::LocalTee { local_index } => Op::LocalTee(local_index),
            Operator::GlobalGet { global_index } => Op::GlobalGet(global_index),
            Operator::GlobalSet { global_index } => Op::GlobalSet(global_index),
            Operator::TableGet { table } => Op::TableGet(table),
            Operator::TableSet { table } => Op::TableSet(table),
            Operator::TableSize { table } => Op::TableSize(table),
            Operator::TableGrow { table } => Op::TableGrow(table),
            Operator::TableFill { table } => Op::TableFill(table),
            Operator::TableCopy {
                dst_table,
                src_table,
            } => Op::TableCopy {
                dst: dst_table,
                src: src_table,
            },
            Operator::TableInit { elem_index, table } => Op::TableInit {
                table,
                elem: elem_index,
            },
            Operator::ElemDrop { elem_index } => Op::ElemDrop(elem_index),
            Operator::RefNull { .. } => Op::RefNull,
            Operator::RefIsNull => Op::RefIsNull,
            Operator::RefFunc { function_index } => Op::RefFunc(function_index),
            Operator::MemorySize { .. } => Op::MemorySize,
            Operator::MemoryGrow { .. } => Op::MemoryGrow,
            Operator::MemoryInit { data_index, .. } => Op::MemoryInit(data_index),
            Operator::DataDrop { data_index } => Op::DataDrop(data_index),
            Operator::MemoryCopy { .. } => Op::MemoryCopy,
            Operator::MemoryFill { .. } => Op::MemoryFill,
            Operator::I32Const { value } => Op::I32Const(value),
            Operator::I64Const { value } => Op::I64Const(value),
            Operator::F32Const { value } => Op::F32Const(value.bits()),
            Operator::F64Const { value } => Op::F64Const(value.bits()),
            ref other => with_memarg!(other;
                I32Load I64Load F32Load F64Load I32Load8S I32Load8U I32Load16S I32Load16U
                I64Load8S I64Load8U I64Load16S I64Load16U I64Load32S I64Load32U
                I32Store I64Store F32Store F64Store I32Store8 I32Store16 I64Store8 I64Store16 I64Store32)
            .or_else(|| same_name!(other;
                I32Eqz I32Eq I32Ne I32LtS I32LtU I32GtS I32GtU I32LeS I32LeU I32GeS I32GeU
                I32Clz I32Ctz I32Popcnt I32Add I32Sub I32Mul I32DivS I32DivU I32RemS I32RemU
                I32And I32Or I32Xor I32Shl I32ShrS I32ShrU I32Rotl I32Rotr
                I64Eqz I64Eq I64Ne I64LtS I64LtU I64GtS I64GtU I64LeS I64LeU I64GeS I64GeU
                I64Clz I64Ctz I64Popcnt I64Add I64Sub I64Mul I64DivS I64DivU I64RemS I64RemU
                I64And I64Or I64Xor I64Shl I64ShrS I64ShrU I64Rotl I64Rotr
                F32Eq F32Ne F32Lt F32Gt F32Le F32Ge F32Abs F32Neg F32Ceil F32Floor F32Trunc
                F32Nearest F32Sqrt F32Add F32Sub F32Mul F32Div F32Min F32Max F32Copysign
                F64Eq F64Ne F64Lt F64Gt F64Le F64Ge F64Abs F64Neg F64Ceil F64Floor F64Trunc
                F64Nearest F64Sqrt F64Add F64Sub F64Mul F64Div F64Min F64Max F64Copysign
                I32WrapI64 I32TruncF32S I32TruncF32U I32TruncF64S I32TruncF64U
                I64ExtendI32S I64ExtendI32U I64TruncF32S I64TruncF32U I64TruncF64S I64TruncF64U
                F32ConvertI32S F32ConvertI32U F32ConvertI64S F32ConvertI64U F32DemoteF64
                F64ConvertI32S F64ConvertI32U F64ConvertI64S F64ConvertI64U F64PromoteF32
                I32Extend8S I32Extend16S I64Extend8S I64Extend16S I64Extend32S
                I32TruncSatF32S I32TruncSatF32U I32TruncSatF64S I32TruncSatF64U
                I64TruncSatF32S I64TruncSatF32U I64TruncSatF64S I64TruncSatF64U))
            .ok_or_else(|| CompileError::Invalid {
                message: format!("unsupported operator {other:?}"),
                offset: 0,
            })?,
        };
        self.code.push(op);
        Ok(())
    }
}
