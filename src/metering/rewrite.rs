//! The fast path of [`super::instrument`]: the stack limiter and the gas pass in one rewrite.
//!
//! [`ModuleInfo::analyze`] already walked and validated every body and recorded, in its
//! [`Plan`], every place where the two passes change a body: region heads, calls, `ref.func` and
//! instructions with a dynamic cost. This pass copies the bytes in between unchanged and emits at
//! those places exactly what the limiter ([`super::stack_limit`]) followed by the gas pass
//! ([`super::inject`]) would emit, without decoding, re-encoding and re-validating the module in
//! between. The other sections go through `Reencode` with the index mapping of both passes
//! composed.
//!
//! Any error here makes [`super::instrument`] run the two reference passes instead, so errors
//! (a region whose cost overflows, an instruction of the limiter that the rules forbid) keep the
//! offsets documented there.

use super::analyze::{
    body_range, Edit, EditKind, KeptBody, ModuleInfo, Plan, USE_GAS_MODULE, USE_GAS_NAME,
};
use super::error::MeteringError;
use super::helpers::{Helper, HelperKind, Layout};
use super::rules::CostRules;
use super::sections;
use crate::wasm::Recorded;
use wasm_encoder::reencode::{utils, Error, Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, Elements, Encode, EntityType, FunctionSection,
    GlobalSection, GlobalType, ImportSection, InstructionSink, Module, SectionId, TypeSection,
    ValType,
};
use wasmparser::{
    CustomSectionReader, ElementItems, ExternalKind, FunctionBody, FunctionSectionReader,
    GlobalSectionReader, ImportSectionReader, Operator, TypeSectionReader,
};

/// What the fused pass produced.
pub(crate) struct Output {
    /// The limited and metered module.
    pub(crate) bytes: Vec<u8>,
    /// Where it charges gas.
    pub(crate) layout: Layout,
    /// Number of charges inserted.
    pub(crate) regions: u32,
    /// Number of limiter thunks added.
    pub(crate) thunks: u32,
}

/// The stack limiter's part (see [`super::stack_limit`]).
struct Limiter {
    /// Maximum total stack cost of the active calls.
    limit: u32,
    /// Index of the height global.
    global: u32,
    /// `(function, its thunk)` for every escaping function with a stack cost, by function index.
    thunks: Vec<(u32, u32)>,
    /// Static gas of the limiter's code around a call of each function (`None`: not computed),
    /// without the `call` itself and the region inside the `if`.
    wrap_cost: Vec<Option<u64>>,
    /// Static gas of the region inside the limiter's `if` (`1 + cost(unreachable)`).
    trap_region: u32,
}

/// What the edits of the plan put into the bodies, in the output's indices.
pub(crate) struct Emitter<'a> {
    /// Facts about the input, with the plan of its bodies.
    info: &'a ModuleInfo,
    /// The limiter, if it applies.
    limiter: Option<Limiter>,
    /// Final cost of every region of the plan (limiter code included), each at most `u32::MAX`.
    regions: Vec<u64>,
    /// Function index of the new `ethereum.useGas` import (= number of imported functions).
    use_gas: u32,
    /// The helpers to append, in index order.
    helpers: Vec<Helper>,
    /// Whether bodies are walked as one run (see [`Emitter::walk_body`]): no limiter applied,
    /// but the input has a height global of its own.
    whole_bodies: bool,
    /// The checked call of every function (by input index) that the limiter checks, empty
    /// for the others: the same at every call, built and encoded once.
    checked_calls: Vec<CheckedCall>,
}

/// The limiter's checked call of one function.
#[derive(Default)]
struct CheckedCall {
    /// Its operators.
    ops: Vec<Operator<'static>>,
    /// Their encoding.
    bytes: Vec<u8>,
    /// The charges among them.
    charges: u32,
}

/// Re-encodes a module with the limiter and gas metering in one pass.
pub(crate) struct Rewriter<'a> {
    /// The input module.
    bytes: &'a [u8],
    /// The cost table.
    rules: &'a dyn CostRules,
    /// What the edits insert.
    emit: Emitter<'a>,
    /// Type index of `(param i64)`, appended to the type section.
    use_gas_type: u32,
    /// The limiter's height global, or the input's.
    stack_height: Option<u32>,
    /// Number of limiter thunks.
    thunks: u32,
    /// Whether the new types, import and global were emitted.
    types_done: bool,
    import_done: bool,
    global_done: bool,
    /// Index of the next defined function to rewrite.
    next_body: usize,
    /// Number of charges emitted so far.
    charges: u32,
    /// The rewritten bodies (rewritten on all cores before the module is encoded) and the
    /// number of charges in each.
    bodies: Vec<Result<(Vec<u8>, u32), MeteringError>>,
    /// The instructions of the edit being written.
    scratch: Vec<Operator<'static>>,
}

/// The error that sends [`super::instrument`] to the reference passes.
fn unplanned() -> MeteringError {
    MeteringError::Reencode("no fast path".into())
}

/// Limits the stack of and meters `bytes`, described by `info` (analysed with `rules`).
pub(crate) fn instrument(
    bytes: &[u8],
    info: &ModuleInfo,
    rules: &dyn CostRules,
    stack_limit: Option<u32>,
) -> Result<Output, MeteringError> {
    Rewriter::new(bytes, info, rules, stack_limit)?.encode()
}

impl<'a> Rewriter<'a> {
    /// The rewriter of `bytes`, described by `info` (analysed with `rules`).
    pub(crate) fn new(
        bytes: &'a [u8],
        info: &'a ModuleInfo,
        rules: &'a dyn CostRules,
        stack_limit: Option<u32>,
    ) -> Result<Self, MeteringError> {
        let plan = &info.plan;
        if plan.failed || plan.body_edits.len() != info.stack_costs.len() {
            return Err(unplanned());
        }
        let mut limiter = match stack_limit {
            Some(limit) if info.stack_costs.iter().any(|c| *c > 0) => {
                Some(limiter(info, rules, limit)?)
            }
            _ => None,
        };
        let thunks = limiter.as_ref().map_or(0, |l| l.thunks.len() as u32);
        let stack_height = limiter
            .as_ref()
            .map_or(info.layout.stack_height, |l| Some(l.global));
        let needed = info.needed_helpers(rules)?;
        let first_helper = info
            .func_count()
            .checked_add(thunks)
            .and_then(|n| n.checked_add(1))
            .ok_or_else(unplanned)?;
        let use_gas_type = u32::try_from(info.types.len()).map_err(|_| unplanned())?;
        let regions = region_costs(info, rules, plan, &mut limiter)?;
        let whole_bodies = limiter.is_none() && stack_height.is_some();
        let mut emit = Emitter {
            info,
            limiter,
            regions,
            use_gas: info.func_imports,
            helpers: Helper::numbered(first_helper, &needed),
            whole_bodies,
            checked_calls: Vec::new(),
        };
        emit.checked_calls = emit.encode_checked_calls()?;
        Ok(Rewriter {
            bytes,
            rules,
            emit,
            use_gas_type,
            stack_height,
            thunks,
            types_done: false,
            import_done: false,
            global_done: false,
            next_body: 0,
            charges: 0,
            bodies: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// Writes the limited and metered module.
    pub(crate) fn encode(&mut self) -> Result<Output, MeteringError> {
        let (emit, bytes) = (&self.emit, self.bytes);
        // On one thread: a rewrite copies the bytes between a few edits, at memory speed (a
        // 284 KB contract takes under 0.1 ms), and handing the bodies to other threads costs
        // more than it saves, at every size next to the analysis and translation.
        let mut scratch = Vec::new();
        let ranges = emit.info.body_ranges.iter().cloned().enumerate();
        let rewrite = |(i, range)| emit.body_bytes(bytes, i, range, &mut scratch);
        self.bodies = ranges.map(rewrite).collect();
        let mut module = Module::new();
        self.parse_core_module(&mut module, super::parser(), self.bytes)?;
        if self.next_body != self.emit.info.stack_costs.len() {
            return Err(unplanned());
        }
        Ok(Output {
            bytes: module.finish(),
            layout: Layout {
                use_gas: Some(self.emit.use_gas),
                helpers: self.emit.helpers.clone(),
                stack_height: self.stack_height,
            },
            regions: self.charges,
            thunks: self.thunks,
        })
    }

    /// What the edits insert (for [`Emitter::walk_body`]).
    pub(crate) fn into_emitter(self) -> Emitter<'a> {
        self.emit
    }
}

/// The limiter for `info`, as [`super::stack_limit::limit_stack`] sets it up.
fn limiter(info: &ModuleInfo, rules: &dyn CostRules, limit: u32) -> Result<Limiter, MeteringError> {
    let mut thunks = Vec::new();
    let mut next_thunk = info.func_count();
    for (function, &cost) in (info.func_imports..).zip(&info.stack_costs) {
        if cost == 0 {
            continue;
        }
        if limit.checked_add(cost).is_none() {
            return Err(MeteringError::StackCostOverflow {
                function,
                cost,
                limit,
            });
        }
        if info.escaping.get(function as usize) == Some(&true) {
            thunks.push((function, next_thunk));
            next_thunk = next_thunk.checked_add(1).ok_or_else(unplanned)?;
        }
    }
    let trap_region = rules
        .instruction_cost(&Operator::Unreachable)
        .and_then(|c| c.checked_add(1))
        .ok_or_else(unplanned)?;
    Ok(Limiter {
        limit,
        global: info.globals,
        wrap_cost: vec![None; next_thunk as usize],
        thunks,
        trap_region,
    })
}

impl Limiter {
    /// The check before a call of stack cost `cost`: raise the height, and open the `if` of
    /// the trap path when it exceeds the limit.
    fn prologue(&self, cost: u32) -> [Operator<'static>; 8] {
        let (g, c, limit) = (self.global, cost as i32, self.limit as i32);
        [
            Operator::GlobalGet { global_index: g },
            Operator::I32Const { value: c },
            Operator::I32Add,
            Operator::GlobalSet { global_index: g },
            Operator::GlobalGet { global_index: g },
            Operator::I32Const { value: limit },
            Operator::I32GtU,
            Operator::If {
                blockty: wasmparser::BlockType::Empty,
            },
        ]
    }

    /// The height's restoration after a call of stack cost `cost`.
    fn epilogue(&self, cost: u32) -> [Operator<'static>; 4] {
        let g = self.global;
        [
            Operator::GlobalGet { global_index: g },
            Operator::I32Const { value: cost as i32 },
            Operator::I32Sub,
            Operator::GlobalSet { global_index: g },
        ]
    }

    /// The static gas of the limiter's code around `call callee` for a callee of stack cost
    /// `cost > 0`: not the call itself (charged as an instruction of the body) nor the region
    /// inside the `if`.
    fn wrap_cost(
        &mut self,
        rules: &dyn CostRules,
        callee: u32,
        cost: u32,
    ) -> Result<u64, MeteringError> {
        if let Some(Some(gas)) = self.wrap_cost.get(callee as usize) {
            return Ok(*gas);
        }
        let mut gas = 0u64;
        for op in self.prologue(cost).iter().chain(&self.epilogue(cost)) {
            gas += u64::from(rules.instruction_cost(op).ok_or_else(unplanned)?);
        }
        if let Some(slot) = self.wrap_cost.get_mut(callee as usize) {
            *slot = Some(gas);
        }
        Ok(gas)
    }
}

/// Stack cost of function `func` (0 for imports and thunks).
fn stack_cost(info: &ModuleInfo, func: u32) -> u32 {
    func.checked_sub(info.func_imports)
        .and_then(|i| info.stack_costs.get(i as usize))
        .copied()
        .unwrap_or(0)
}

/// The final cost of every region of `plan`: its own instructions and the limiter's code around
/// the calls in it, each checked to fit in a `u32`.
fn region_costs(
    info: &ModuleInfo,
    rules: &dyn CostRules,
    plan: &Plan,
    limiter: &mut Option<Limiter>,
) -> Result<Vec<u64>, MeteringError> {
    let mut regions = plan.regions.clone();
    if let Some(limiter) = limiter {
        for edit in &plan.edits {
            if let EditKind::Call { callee, region } = edit.kind {
                let cost = stack_cost(info, callee);
                if cost > 0 {
                    let gas = limiter.wrap_cost(rules, callee, cost)?;
                    if let Some(total) = regions.get_mut(region) {
                        *total += gas;
                    }
                }
            }
        }
    }
    if regions.iter().any(|c| *c > u64::from(u32::MAX)) {
        return Err(unplanned());
    }
    Ok(regions)
}

impl<'a> Emitter<'a> {
    /// The output index of input function `func` (after the new import).
    fn shift(&self, func: u32) -> Result<u32, MeteringError> {
        if func < self.use_gas {
            return Ok(func);
        }
        func.checked_add(1)
            .ok_or(MeteringError::IndexOverflow("functions"))
    }

    /// The function that references to `func` from outside `call` must use: its thunk if it has
    /// one, in output indices.
    fn redirect(&self, func: u32) -> Result<u32, MeteringError> {
        let thunk = self.limiter.as_ref().and_then(|l| {
            l.thunks
                .binary_search_by_key(&func, |t| t.0)
                .ok()
                .and_then(|i| l.thunks.get(i))
                .map(|t| t.1)
        });
        self.shift(thunk.unwrap_or(func))
    }

    /// The helper that charges for `kind`, if the rules price it.
    fn helper_for(&self, kind: HelperKind) -> Option<&Helper> {
        self.helpers.iter().find(|h| h.kind == kind)
    }

    /// The limiter and the stack cost of `callee` (an input index), if a call of it is checked.
    fn limited(&self, callee: u32) -> Option<(&Limiter, u32)> {
        let cost = stack_cost(self.info, callee);
        self.limiter
            .as_ref()
            .filter(|_| cost > 0)
            .map(|l| (l, cost))
    }

    /// Pushes the charge of a region of static cost `gas`.
    fn charge(&self, out: &mut Vec<Operator<'_>>, gas: u64) {
        out.push(Operator::I64Const { value: gas as i64 });
        out.push(Operator::Call {
            function_index: self.use_gas,
        });
    }

    /// Pushes `call callee` (an input index), with the limiter's check around it if the callee
    /// has a stack cost: the limiter's code metered as the gas pass meters it. Returns the
    /// number of charges pushed.
    fn call(&self, out: &mut Vec<Operator<'_>>, callee: u32) -> Result<u32, MeteringError> {
        let target = Operator::Call {
            function_index: self.shift(callee)?,
        };
        let Some((limiter, cost)) = self.limited(callee) else {
            out.push(target);
            return Ok(0);
        };
        out.extend(limiter.prologue(cost));
        self.charge(out, limiter.trap_region.into());
        out.extend([Operator::Unreachable, Operator::End, target]);
        out.extend(limiter.epilogue(cost));
        Ok(1)
    }

    /// Pushes what edit `kind` inserts in place of its bytes; returns whether the original
    /// instruction follows it, and the number of charges pushed.
    fn inserted(
        &self,
        kind: EditKind,
        out: &mut Vec<Operator<'_>>,
    ) -> Result<(bool, u32), MeteringError> {
        Ok(match kind {
            EditKind::Charge(region) => {
                self.charge(out, *self.regions.get(region).ok_or_else(unplanned)?);
                (false, 1)
            }
            EditKind::Call { callee, .. } => (false, self.call(out, callee)?),
            EditKind::RefFunc(func) => {
                out.push(Operator::RefFunc {
                    function_index: self.redirect(func)?,
                });
                (false, 0)
            }
            EditKind::Dynamic(kind) => match self.helper_for(kind) {
                Some(helper) => {
                    out.push(Operator::Call {
                        function_index: helper.func,
                    });
                    // The grow helper performs the grow itself.
                    (kind != HelperKind::MemoryGrow, 0)
                }
                None => (true, 0),
            },
        })
    }

    /// The highest operand stack that `edit`'s inserted code reaches (0 if it adds nothing to
    /// the stack beyond what the instruction it replaces does).
    fn reach(&self, edit: &Edit) -> u32 {
        let raises = match edit.kind {
            EditKind::Charge(_) => true,
            EditKind::Call { callee, .. } => self.limited(callee).is_some(),
            EditKind::RefFunc(_) => false,
            EditKind::Dynamic(kind) => {
                kind != HelperKind::MemoryGrow && self.helper_for(kind).is_some()
            }
        };
        if raises {
            edit.height
        } else {
            0
        }
    }

    /// The edits of defined function `index`.
    fn edits(&self, index: usize) -> Result<&[Edit], MeteringError> {
        let plan = &self.info.plan;
        let start = *plan.body_edits.get(index).ok_or_else(unplanned)?;
        let end = plan
            .body_edits
            .get(index + 1)
            .copied()
            .unwrap_or(plan.edits.len());
        plan.edits.get(start..end).ok_or_else(unplanned)
    }

    /// The declared locals of defined function `index` and the maximum operand-stack height
    /// that validation of its rewritten body finds.
    pub(crate) fn body_shape(&self, index: usize) -> Result<(u32, u32), MeteringError> {
        let locals = *self.info.locals.get(index).ok_or_else(unplanned)?;
        let height = *self.info.heights.get(index).ok_or_else(unplanned)?;
        let reach = self.edits(index)?.iter().map(|edit| self.reach(edit));
        Ok((locals, reach.fold(height, u32::max)))
    }

    /// Calls `run` on the operators of defined function `index` after the edits (exactly what
    /// decoding the rewritten body gives), from its operators `input`: the input between the
    /// edits and what each edit inserts, as runs in order.
    ///
    /// The translator's look-ahead fusions must each find their operators in one run: a charge
    /// (`i64.const`, then the call of `useGas`) is always inserted as one run, and so is the
    /// limiter's checked call. The fusion of the limiter's code looks ahead from a `global.get`
    /// of the height global through the charge after the check's `if` to the call after its
    /// `end`; when the height global is the input's (no limiter applied), such a sequence in
    /// the input may enclose an inserted charge, and the body is passed as one run.
    pub(crate) fn walk_body<'b>(
        &self,
        index: usize,
        input: &[Operator<'b>],
        run: &mut dyn FnMut(&[Operator<'b>]),
    ) -> Result<(), MeteringError> {
        if !self.whole_bodies {
            return self.walk_runs(index, input, run);
        }
        let mut all = Vec::with_capacity(input.len());
        self.walk_runs(index, input, &mut |ops| all.extend_from_slice(ops))?;
        run(&all);
        Ok(())
    }

    /// [`Emitter::walk_body`] in runs.
    fn walk_runs<'b>(
        &self,
        index: usize,
        input: &[Operator<'b>],
        run: &mut dyn FnMut(&[Operator<'b>]),
    ) -> Result<(), MeteringError> {
        self.walk_parts(index, input.len(), &mut |part| match part {
            Part::Input(range) => run(input.get(range).unwrap_or_default()),
            Part::Inserted(ops) => run(ops),
        })
    }

    /// Calls `run` on what the translator's first pass reads of defined function `index`
    /// after the edits, from `kept`, what the analysis kept of its input: the constants of
    /// the input between the edits (the edits never take a constant away) and what each edit
    /// inserts, in order.
    pub(crate) fn record_body<'b>(
        &self,
        index: usize,
        kept: &KeptBody<'b>,
        run: &mut dyn FnMut(Recorded<'_, 'b>),
    ) -> Result<(), MeteringError> {
        let mut done = 0;
        self.walk_parts(index, kept.ops.len(), &mut |part| match part {
            Part::Input(range) => {
                let rest = kept.const_at.get(done..).unwrap_or_default();
                let end = done + rest.partition_point(|&at| (at as usize) < range.end);
                run(Recorded::Constants(
                    kept.constants.get(done..end).unwrap_or_default(),
                ));
                done = end;
            }
            Part::Inserted(ops) => run(Recorded::Ops(ops)),
        })
    }

    /// Calls `part` on the parts of defined function `index` after the edits, in order: the
    /// ranges of its `len` input operators between the edits, and what each edit inserts.
    fn walk_parts<'b>(
        &self,
        index: usize,
        len: usize,
        part: &mut dyn FnMut(Part<'_, 'b>),
    ) -> Result<(), MeteringError> {
        let mut inserted = Vec::new();
        let mut cursor = 0;
        for edit in self.edits(index)? {
            let at = edit.op as usize;
            if at < cursor || at > len {
                return Err(unplanned());
            }
            part(Part::Input(cursor..at));
            let keep = match self.checked_call(edit.kind) {
                Some(call) => {
                    part(Part::Inserted(&call.ops));
                    false
                }
                None => {
                    inserted.clear();
                    let (keep, _) = self.inserted(edit.kind, &mut inserted)?;
                    part(Part::Inserted(&inserted));
                    keep
                }
            };
            // An edit that replaces its operator consumes it; one that keeps it, or inserts
            // before it, leaves it to come next.
            if edit.end > edit.start && at >= len {
                return Err(unplanned());
            }
            let replaced = edit.end > edit.start && !keep;
            cursor = at + usize::from(replaced);
        }
        part(Part::Input(cursor..len));
        Ok(())
    }
}

/// A part of a body after the edits (see [`Emitter::walk_parts`]).
enum Part<'r, 'b> {
    /// A range of the input's operators.
    Input(std::ops::Range<usize>),
    /// What an edit inserts.
    Inserted(&'r [Operator<'b>]),
}

impl Emitter<'_> {
    /// Rewrites defined function `index`, at `range` in the input `bytes`, by its plan; returns
    /// the body and the number of charges in it.
    fn body_bytes(
        &self,
        bytes: &[u8],
        index: usize,
        range: std::ops::Range<usize>,
        scratch: &mut Vec<Operator<'static>>,
    ) -> Result<(Vec<u8>, u32), MeteringError> {
        let mut buf = Vec::with_capacity(range.len() + range.len() / 4);
        let mut charges = 0u32;
        let mut cursor = range.start;
        let code = |r: std::ops::Range<usize>| bytes.get(r).ok_or_else(unplanned);
        for edit in self.edits(index)? {
            if edit.start < cursor || edit.end > range.end {
                return Err(unplanned());
            }
            buf.extend_from_slice(code(cursor..edit.start)?);
            cursor = edit.end;
            if let Some(call) = self.checked_call(edit.kind) {
                buf.extend_from_slice(&call.bytes);
                charges = charges.saturating_add(call.charges);
                continue;
            }
            scratch.clear();
            let (keep, n) = self.inserted(edit.kind, scratch)?;
            charges = charges.saturating_add(n);
            encode(scratch, &mut buf)?;
            if keep {
                buf.extend_from_slice(code(edit.start..edit.end)?);
            }
        }
        buf.extend_from_slice(code(cursor..range.end)?);
        Ok((buf, charges))
    }

    /// The checked call of every function (see [`Emitter::checked_calls`]).
    fn encode_checked_calls(&self) -> Result<Vec<CheckedCall>, MeteringError> {
        let mut calls = Vec::new();
        if self.limiter.is_none() {
            return Ok(calls);
        }
        let (mut ops, mut bytes) = (Vec::new(), Vec::new());
        for func in 0..self.info.func_count() {
            let mut call = CheckedCall::default();
            if self.limited(func).is_some() {
                ops.clear();
                bytes.clear();
                call.charges = self.call(&mut ops, func)?;
                encode(&ops, &mut bytes)?;
                // Copies of exactly their length, built in buffers reused from call to call.
                (call.ops, call.bytes) = (ops.to_vec(), bytes.to_vec());
            }
            calls.push(call);
        }
        Ok(calls)
    }

    /// The checked call that edit `kind` inserts, if it is a call that the limiter checks.
    fn checked_call(&self, kind: EditKind) -> Option<&CheckedCall> {
        match kind {
            EditKind::Call { callee, .. } => self.checked_call_of(callee),
            _ => None,
        }
    }

    /// The checked call of function `func` (an input index), if the limiter checks its calls.
    fn checked_call_of(&self, func: u32) -> Option<&CheckedCall> {
        let call = self.checked_calls.get(func as usize);
        call.filter(|call| !call.ops.is_empty())
    }
}

/// Appends the encoding of `ops` to `buf`.
fn encode(ops: &[Operator<'static>], buf: &mut Vec<u8>) -> Result<(), MeteringError> {
    for op in ops.iter().cloned() {
        // The instructions that edits insert, written directly; anything else through the
        // general re-encoder.
        let mut sink = InstructionSink::new(buf);
        match op {
            Operator::I64Const { value } => sink.i64_const(value),
            Operator::I32Const { value } => sink.i32_const(value),
            Operator::Call { function_index } => sink.call(function_index),
            Operator::GlobalGet { global_index } => sink.global_get(global_index),
            Operator::GlobalSet { global_index } => sink.global_set(global_index),
            Operator::I32Add => sink.i32_add(),
            Operator::I32Sub => sink.i32_sub(),
            Operator::I32GtU => sink.i32_gt_u(),
            Operator::If {
                blockty: wasmparser::BlockType::Empty,
            } => sink.if_(BlockType::Empty),
            Operator::Unreachable => sink.unreachable(),
            Operator::End => sink.end(),
            Operator::LocalGet { local_index } => sink.local_get(local_index),
            Operator::RefFunc { function_index } => sink.ref_func(function_index),
            op => {
                RoundtripReencoder
                    .instruction(op)
                    .map_err(|e| MeteringError::Reencode(e.to_string()))?
                    .encode(buf);
                continue;
            }
        };
    }
    Ok(())
}

impl Rewriter<'_> {
    /// The thunk of `func` (limiter only): its parameters passed on to a checked call, metered.
    fn thunk(&mut self, func: u32) -> Result<wasm_encoder::Function, MeteringError> {
        let info = self.emit.info;
        let ty = info.func_types.get(func as usize).copied().unwrap_or(0);
        let params = info
            .types
            .get(ty as usize)
            .map_or(0, |t| t.params().len() as u32);
        let cost = stack_cost(info, func);
        let mut gas = 1u64;
        for param in 0..params {
            let op = Operator::LocalGet { local_index: param };
            gas += u64::from(self.rules.instruction_cost(&op).ok_or_else(unplanned)?);
        }
        let rules = self.rules;
        let limiter = self.emit.limiter.as_mut().ok_or_else(unplanned)?;
        gas += limiter.wrap_cost(rules, func, cost)?;
        let call = Operator::Call {
            function_index: func,
        };
        gas += u64::from(rules.instruction_cost(&call).ok_or_else(unplanned)?);
        if gas > u64::from(u32::MAX) {
            return Err(unplanned());
        }
        let mut ops = std::mem::take(&mut self.scratch);
        self.emit.charge(&mut ops, gas);
        ops.extend((0..params).map(|local_index| Operator::LocalGet { local_index }));
        let mut code = Vec::new();
        encode(&ops, &mut code)?;
        ops.clear();
        self.scratch = ops;
        // A function with a thunk has a stack cost: its call is checked.
        let call = self.emit.checked_call_of(func).ok_or_else(unplanned)?;
        code.extend_from_slice(&call.bytes);
        encode(&[Operator::End], &mut code)?;
        self.charges = self.charges.saturating_add(1 + call.charges);
        let mut thunk = wasm_encoder::Function::new([]);
        thunk.raw(code);
        Ok(thunk)
    }

    /// Appends useGas's type and, if there are helpers, theirs.
    fn add_types(&mut self, types: &mut TypeSection) {
        types.ty().function([ValType::I64], []);
        if !self.emit.helpers.is_empty() {
            types.ty().function([ValType::I32], [ValType::I32]);
        }
        self.types_done = true;
    }

    /// Appends the `ethereum.useGas` import.
    fn add_import(&mut self, imports: &mut ImportSection) {
        imports.import(
            USE_GAS_MODULE,
            USE_GAS_NAME,
            EntityType::Function(self.use_gas_type),
        );
        self.import_done = true;
    }

    /// Appends the limiter's height global, mutable `i32` starting at 0.
    fn add_global(&mut self, globals: &mut GlobalSection) {
        let ty = GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        };
        globals.global(ty, &ConstExpr::i32_const(0));
        self.global_done = true;
    }
}

impl Reencode for Rewriter<'_> {
    type Error = MeteringError;

    fn function_index(&mut self, func: u32) -> Result<u32, Error<MeteringError>> {
        self.emit.shift(func).map_err(Error::UserError)
    }

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> Result<wasm_encoder::Instruction<'a>, Error<MeteringError>> {
        match op {
            Operator::RefFunc { function_index } => Ok(wasm_encoder::Instruction::RefFunc(
                self.emit
                    .redirect(function_index)
                    .map_err(Error::UserError)?,
            )),
            op => utils::instruction(self, op),
        }
    }

    fn external_index(
        &mut self,
        kind: ExternalKind,
        index: u32,
    ) -> Result<u32, Error<MeteringError>> {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => {
                Ok(self.emit.redirect(index).map_err(Error::UserError)?)
            }
            _ => Ok(index),
        }
    }

    fn element_items<'a>(
        &mut self,
        items: ElementItems<'a>,
    ) -> Result<Elements<'a>, Error<MeteringError>> {
        match items {
            ElementItems::Functions(funcs) => {
                let funcs = funcs
                    .into_iter()
                    .map(|f| self.emit.redirect(f?).map_err(Error::UserError))
                    .collect::<Result<Vec<_>, Error<MeteringError>>>()?;
                Ok(Elements::Functions(funcs.into()))
            }
            items => utils::element_items(self, items),
        }
    }

    fn parse_data(
        &mut self,
        data: &mut DataSection,
        datum: wasmparser::Data<'_>,
    ) -> Result<(), Error<MeteringError>> {
        // Metering changes no index that a data segment holds (the limiter's global comes
        // after the others): the segment is copied as it is.
        let range = datum.range.start as usize..datum.range.end as usize;
        let segment = self.bytes.get(range).ok_or_else(unplanned);
        data.raw(segment.map_err(Error::UserError)?);
        Ok(())
    }

    fn start_section(&mut self, start: u32) -> Result<u32, Error<MeteringError>> {
        self.emit.redirect(start).map_err(Error::UserError)
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: TypeSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_type_section(self, types, section)?;
        self.add_types(types);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: ImportSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_import_section(self, imports, section)?;
        self.add_import(imports);
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: GlobalSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_global_section(self, globals, section)?;
        if self.emit.limiter.is_some() {
            self.add_global(globals);
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: FunctionSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_function_section(self, functions, section)?;
        if let Some(limiter) = &self.emit.limiter {
            for &(func, _) in &limiter.thunks {
                functions.function(
                    self.emit
                        .info
                        .func_types
                        .get(func as usize)
                        .copied()
                        .unwrap_or(0),
                );
            }
        }
        for _ in &self.emit.helpers {
            functions.function(self.use_gas_type + 1);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_code_section(self, code, section)?;
        let thunks: Vec<u32> = self
            .emit
            .limiter
            .as_ref()
            .map(|l| l.thunks.iter().map(|t| t.0).collect())
            .unwrap_or_default();
        for func in thunks {
            code.function(&self.thunk(func).map_err(Error::UserError)?);
        }
        for helper in &self.emit.helpers {
            code.function(&helper.kind.body(helper.gas_per_unit, self.emit.use_gas));
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), Error<MeteringError>> {
        let index = self.next_body;
        let planned = self.emit.info.body_ranges.get(index);
        let body = match self.bodies.get_mut(index) {
            Some(body) if planned == Some(&body_range(&func)) => {
                std::mem::replace(body, Ok((Vec::new(), 0)))
            }
            _ => Err(unplanned()),
        };
        let (body, charges) = body.map_err(Error::UserError)?;
        self.charges = self.charges.saturating_add(charges);
        self.next_body += 1;
        code.raw(&body);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<MeteringError>> {
        if !self.types_done && sections::is_past(before, SectionId::Type) {
            let mut types = TypeSection::new();
            self.add_types(&mut types);
            module.section(&types);
        }
        if !self.import_done && sections::is_past(before, SectionId::Import) {
            let mut imports = ImportSection::new();
            self.add_import(&mut imports);
            module.section(&imports);
        }
        if self.emit.limiter.is_some()
            && !self.global_done
            && sections::is_past(before, SectionId::Global)
        {
            let mut globals = GlobalSection::new();
            self.add_global(&mut globals);
            module.section(&globals);
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        module: &mut Module,
        section: CustomSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        sections::parse_custom_section(self, module, section)
    }
}
