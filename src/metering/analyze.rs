//! One validating walk over a module that collects what both rewriting passes need.

use super::error::MeteringError;
use super::helpers::{recognize_body, Helper, HelperKind, Layout};
use super::rules::{instruction_name, is_float_op, is_float_type, CostRules};
use super::FEATURES;
use crate::wasm::decode::{forget_all, read_validated};
use crate::wasm::parallel::map_in_order;
use crate::wasm::Constant;
use wasmparser::{
    CompositeInnerType, ConstExpr, ElementItems, ExternalKind, FuncToValidate, FuncType,
    FuncValidatorAllocations, FunctionBody, Operator, Payload, TypeRef, ValType, ValidPayload,
    Validator, ValidatorResources, WasmModuleResources,
};

/// The module name of the gas import.
pub(crate) const USE_GAS_MODULE: &str = "ethereum";
/// The field name of the gas import.
pub(crate) const USE_GAS_NAME: &str = "useGas";

/// Facts about a valid module.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    /// The function types, by type index.
    pub(crate) types: Vec<FuncType>,
    /// The type index of every function, imports first.
    pub(crate) func_types: Vec<u32>,
    /// Number of imported functions.
    pub(crate) func_imports: u32,
    /// Number of globals, imported and defined.
    pub(crate) globals: u32,
    /// Whether anything named `ethereum.useGas` is imported.
    pub(crate) imports_use_gas: bool,
    /// Stack cost of every defined function: declared locals plus maximum operand-stack height.
    pub(crate) stack_costs: Vec<u32>,
    /// Declared locals (parameters excluded) of every defined function.
    pub(crate) locals: Vec<u32>,
    /// Maximum operand-stack height of every defined function, as the validator tracks it.
    pub(crate) heights: Vec<u32>,
    /// Module offsets of every defined function's body (its locals and code).
    pub(crate) body_ranges: Vec<std::ops::Range<usize>>,
    /// Functions referenced other than by `call`: exports, start, elements, `ref.func`.
    pub(crate) escaping: Vec<bool>,
    /// Which helper kinds some instruction needs.
    pub(crate) dynamic: Vec<HelperKind>,
    /// The gas import and the helpers found by their exact bodies.
    pub(crate) layout: Layout,
    /// Where metering must edit the bodies (recorded only when analysing with cost rules).
    pub(crate) plan: Plan,
}

/// The edits that metering makes to the function bodies, found during the validating walk so
/// that the rewriting pass ([`super::rewrite`]) copies everything else byte for byte.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// The edits of all bodies, in body order and, within a body, by position.
    pub(crate) edits: Vec<Edit>,
    /// For every defined function, the index of its first edit in `edits`.
    pub(crate) body_edits: Vec<usize>,
    /// The static cost of every region (charged by an [`EditKind::Charge`]), without the cost of
    /// the stack limiter's code around calls, which the rewriting pass adds.
    pub(crate) regions: Vec<u64>,
    /// Regions still open in the body being analysed (indices into `regions`).
    open: Vec<usize>,
    /// Whether the walk met something the plan cannot express (never for a valid module).
    pub(crate) failed: bool,
}

/// One edit of a body: replace the module bytes `start..end` by what `kind` says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edit {
    /// Module offset of the first byte replaced (or where to insert, if `end == start`).
    pub(crate) start: usize,
    /// Module offset just past the replaced bytes.
    pub(crate) end: usize,
    /// Index in the body's operators of the operator at `start` (the one replaced, or the one
    /// the insertion precedes).
    pub(crate) op: u32,
    /// The highest operand stack the edit's code reaches, as the validator would count it:
    /// one above the height for a charge, two above the call's heights before and after it for
    /// the limiter's code, and the operand's height (one more at the bottom of unreachable
    /// code) for a helper call inserted before an instruction.
    pub(crate) height: u32,
    /// What goes there.
    pub(crate) kind: EditKind,
}

/// What an [`Edit`] does.
#[derive(Clone, Copy, Debug)]
pub(crate) enum EditKind {
    /// Insert the charge of region `regions[_]`.
    Charge(usize),
    /// `call callee` (the operator at `start..end`), in region `region`: re-indexed, and wrapped
    /// by the stack limiter if the callee has a stack cost.
    Call { callee: u32, region: usize },
    /// `ref.func`: re-indexed and redirected to a thunk.
    RefFunc(u32),
    /// An instruction with a dynamic cost: preceded by (or, for `memory.grow`, replaced by) a
    /// call of its helper if the rules price it.
    Dynamic(HelperKind),
}

/// What the walk over one function body finds.
#[derive(Debug, Default)]
struct BodyFacts<'a> {
    /// The body's edits, with its regions numbered from 0.
    plan: Plan,
    /// Declared locals.
    locals: u32,
    /// Maximum operand-stack height.
    height: u32,
    /// Module offsets of the body.
    range: std::ops::Range<usize>,
    /// The body's operators and constants (only when asked to keep them).
    kept: KeptBody<'a>,
    /// The functions of its `ref.func`s.
    ref_funcs: Vec<u32>,
    /// The helper kinds its instructions need.
    dynamic: Vec<HelperKind>,
    /// The body as a recognised helper.
    helper: Option<Helper>,
}

/// What the analysis keeps of a body for the translator: its operators, and its constants so
/// that the translator's first pass need not read the operators again.
#[derive(Debug, Default)]
pub(crate) struct KeptBody<'a> {
    /// The operators.
    pub ops: Vec<Operator<'a>>,
    /// The indices of the constant operators in `ops`, ascending.
    pub const_at: Vec<u32>,
    /// Their constants, in the same order.
    pub constants: Vec<Constant>,
}

/// Where an operator of a body is, and the operand heights around it.
#[derive(Clone, Copy, Debug)]
struct OpAt {
    /// Its index in the body's operators.
    index: u32,
    /// Its module offsets.
    start: usize,
    end: usize,
    /// The highest stack an edit replacing it would reach (see [`Edit::height`]).
    height: u32,
    /// The operand height after it.
    after: u32,
}

/// A function body still to validate and walk.
type Body<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

impl Plan {
    /// Appends the plan of the next body (a plan of that body alone, empty without rules).
    fn append(&mut self, body: Plan) {
        if body.body_edits.is_empty() {
            return;
        }
        let first_region = self.regions.len();
        self.body_edits.push(self.edits.len());
        self.edits.extend(body.edits.into_iter().map(|mut edit| {
            match &mut edit.kind {
                EditKind::Charge(region) | EditKind::Call { region, .. } => *region += first_region,
                EditKind::RefFunc(_) | EditKind::Dynamic(_) => {}
            }
            edit
        }));
        self.regions.extend(body.regions);
        self.failed |= body.failed;
    }

    /// Opens a region whose charge goes at module offset `at`, before operator `op`, on an
    /// operand stack of height `height`.
    fn open_region(&mut self, at: usize, op: u32, height: u32) {
        let region = self.regions.len();
        self.regions.push(1);
        self.open.push(region);
        self.edits.push(Edit {
            start: at,
            end: at,
            op,
            height: height.saturating_add(1),
            kind: EditKind::Charge(region),
        });
    }

    /// Adds `cost` to the innermost open region.
    #[inline(always)]
    fn add_cost(&mut self, cost: u32) {
        match self
            .open
            .last()
            .and_then(|&region| self.regions.get_mut(region))
        {
            Some(total) => *total += u64::from(cost),
            None => self.failed = true,
        }
    }

    /// Starts the plan of the next body, whose first operator is at `at`.
    fn start_body(&mut self, at: usize) {
        self.body_edits.push(self.edits.len());
        self.open.clear();
        self.open_region(at, 0, 0);
    }

    /// Records operator `op` at `at` whose static cost is `cost` (`None` for `else`/`end`).
    fn op(&mut self, op: &Operator<'_>, at: OpAt, cost: Option<u32>) {
        let OpAt {
            index,
            start,
            end,
            height,
            after,
        } = at;
        let next = index.saturating_add(1);
        match op {
            Operator::End => {
                self.open.pop();
                return;
            }
            Operator::Else => {
                self.open.pop();
                self.open_region(end, next, after);
                return;
            }
            _ => {}
        }
        let (Some(&region), Some(cost)) = (self.open.last(), cost) else {
            self.failed = true;
            return;
        };
        self.add_cost(cost);
        let kind = match *op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.open_region(end, next, after);
                return;
            }
            Operator::Call { function_index } => EditKind::Call {
                callee: function_index,
                region,
            },
            Operator::RefFunc { function_index } => EditKind::RefFunc(function_index),
            ref op => match HelperKind::for_op(op) {
                Some(kind) => EditKind::Dynamic(kind),
                None => return,
            },
        };
        self.edits.push(Edit {
            start,
            end,
            op: index,
            height,
            kind,
        });
    }
}

impl ModuleInfo {
    /// Validates `bytes` and collects its facts; with `rules`, also enforces their float policy
    /// and forbidden instructions.
    pub(crate) fn analyze(
        bytes: &[u8],
        rules: Option<&dyn CostRules>,
    ) -> Result<Self, MeteringError> {
        Ok(Self::analyze_keeping_ops(bytes, rules, false)?.0)
    }

    /// [`ModuleInfo::analyze`], also returning the operators of every defined function if
    /// `keep_ops` (otherwise no operators).
    pub(crate) fn analyze_keeping_ops<'a>(
        bytes: &'a [u8],
        rules: Option<&dyn CostRules>,
        keep_ops: bool,
    ) -> Result<(Self, Vec<KeptBody<'a>>), MeteringError> {
        let mut info = Self::default();
        let floats_forbidden = rules.is_some_and(|r| !r.allows_floats());
        let mut validator = Validator::new_with_features(FEATURES);
        // Bodies are walked after the module's sections, all together and in parallel for
        // large modules; an error found in a body still wins over one found later in the
        // bytes, as in a sequential walk.
        let mut bodies = Vec::new();
        let mut failure = None;
        for payload in super::parser().parse_all(bytes) {
            let step = payload.map_err(MeteringError::from).and_then(|payload| {
                if let ValidPayload::Func(func, body) = validator.payload(&payload)? {
                    bodies.push((func, body));
                }
                info.section(payload, floats_forbidden)
            });
            if let Err(e) = step {
                failure = Some(e);
                break;
            }
        }
        let walk = |allocs: &mut FuncValidatorAllocations, (i, (func, body)): (usize, Body<'a>)| {
            let mut fv = func.into_validator(core::mem::take(allocs));
            let facts = info.function_body(i, &mut fv, &body, rules, floats_forbidden, keep_ops);
            *allocs = fv.into_allocations();
            facts
        };
        let mut ops = Vec::new();
        for facts in map_in_order(bodies, |(_, body)| body.as_bytes().len(), walk) {
            ops.push(info.absorb(facts?));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        info.escaping.resize(info.func_types.len(), false);
        if !keep_ops {
            ops.clear();
        }
        Ok((info, ops))
    }

    /// Adds what the walk over the next body found; returns what it kept of the body.
    fn absorb<'a>(&mut self, facts: BodyFacts<'a>) -> KeptBody<'a> {
        let BodyFacts {
            plan,
            locals,
            height,
            range,
            kept,
            ref_funcs,
            dynamic,
            helper,
        } = facts;
        self.plan.append(plan);
        self.stack_costs.push(locals.saturating_add(height));
        self.locals.push(locals);
        self.heights.push(height);
        self.body_ranges.push(range);
        for func in ref_funcs {
            self.mark_escaping(func);
        }
        for kind in dynamic {
            if !self.dynamic.contains(&kind) {
                self.dynamic.push(kind);
            }
        }
        self.layout.helpers.extend(helper);
        kept
    }

    /// Records what one section says about index spaces and references.
    fn section(
        &mut self,
        payload: Payload<'_>,
        floats_forbidden: bool,
    ) -> Result<(), MeteringError> {
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader.into_iter_with_offsets() {
                    let (offset, group) = group?;
                    for ty in group.into_types() {
                        // Validation with `FEATURES` (no GC) admits function types only.
                        let CompositeInnerType::Func(func) = ty.composite_type.inner else {
                            return Err(MeteringError::Malformed {
                                reason: "non-function type",
                                offset,
                            });
                        };
                        if floats_forbidden
                            && func
                                .params()
                                .iter()
                                .chain(func.results())
                                .any(|t| is_float_type(*t))
                        {
                            return Err(MeteringError::FloatType {
                                place: "function type",
                                offset,
                            });
                        }
                        self.types.push(func);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let is_use_gas = import.module == USE_GAS_MODULE && import.name == USE_GAS_NAME;
                    self.imports_use_gas |= is_use_gas;
                    match import.ty {
                        TypeRef::Func(ty) => {
                            if is_use_gas && self.is_use_gas_type(ty) {
                                self.layout.use_gas = Some(self.func_imports);
                            } else if is_use_gas {
                                return Err(MeteringError::BadUseGasImport { offset });
                            }
                            self.func_types.push(ty);
                            self.func_imports += 1;
                        }
                        TypeRef::Global(g) => {
                            if floats_forbidden && is_float_type(g.content_type) {
                                return Err(MeteringError::FloatType {
                                    place: "global import",
                                    offset,
                                });
                            }
                            self.globals += 1;
                        }
                        _ if is_use_gas => return Err(MeteringError::BadUseGasImport { offset }),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.func_types.push(ty?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global?;
                    if floats_forbidden && is_float_type(global.ty.content_type) {
                        return Err(MeteringError::FloatType {
                            place: "global",
                            offset,
                        });
                    }
                    self.mark_ref_funcs(&global.init_expr)?;
                    self.layout.stack_height = is_height_global(&global).then_some(self.globals);
                    self.globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Func {
                        self.mark_escaping(export.index);
                    }
                }
            }
            Payload::StartSection { func, .. } => self.mark_escaping(func),
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element?.items {
                        ElementItems::Functions(funcs) => {
                            for func in funcs {
                                self.mark_escaping(func?);
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                self.mark_ref_funcs(&expr?)?;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Validates one body and records its stack cost, references, dynamic operations and helper shape.
    fn function_body<'a, R: WasmModuleResources>(
        &self,
        index: usize,
        fv: &mut wasmparser::FuncValidator<R>,
        body: &FunctionBody<'a>,
        rules: Option<&dyn CostRules>,
        floats_forbidden: bool,
        keep_ops: bool,
    ) -> Result<BodyFacts<'a>, MeteringError> {
        let mut facts = BodyFacts::default();
        let mut locals = body.get_locals_reader()?;
        let mut declared: u32 = 0;
        for _ in 0..locals.get_count() {
            let offset = locals.original_position();
            let (count, ty) = locals.read()?;
            fv.define_locals(offset, count, ty)?;
            if floats_forbidden && is_float_type(ty) {
                return Err(MeteringError::FloatType {
                    place: "local",
                    offset,
                });
            }
            // The validator caps the number of locals far below u32::MAX.
            declared = declared.saturating_add(count);
        }
        let mut max_height = 0;
        let mut height = 0;
        let mut ops = body.get_operators_reader()?;
        if rules.is_some() {
            facts.plan.start_body(ops.original_position() as usize);
        }
        let mut op_index = 0u32;
        if keep_ops {
            // Code has fewer than one operator per two bytes but for runs of one-byte ones, and
            // about one constant per 16 bytes: rarely exceeded, and not much more than needed.
            let size = body.as_bytes().len();
            let kept = &mut facts.kept;
            kept.ops.reserve(size / 2 + 16);
            kept.const_at.reserve(size / 16 + 4);
            kept.constants.reserve(size / 16 + 4);
        }
        while !ops.eof() {
            let offset = ops.original_position();
            if !keep_ops {
                // Only the operator at hand is kept (the one before it validated).
                forget_all(&mut facts.kept.ops);
            }
            let op = read_validated(&mut ops, fv, &mut facts.kept.ops)?;
            let before = height;
            height = fv.operand_stack_height();
            max_height = max_height.max(height);
            if floats_forbidden && is_float_op(op) {
                return Err(MeteringError::FloatInstruction {
                    instruction: instruction_name(op),
                    offset,
                });
            }
            let forbidden = || MeteringError::ForbiddenInstruction {
                instruction: instruction_name(op),
                offset,
            };
            if !is_planned(op) {
                // Most operators only add their cost to the innermost region.
                if let Some(rules) = rules {
                    let cost = rules.instruction_cost(op).ok_or_else(forbidden)?;
                    facts.plan.add_cost(cost);
                }
                if keep_ops {
                    if let Some(constant) = Constant::of(op) {
                        facts.kept.const_at.push(op_index);
                        facts.kept.constants.push(constant);
                    }
                }
                op_index = op_index.saturating_add(1);
                continue;
            }
            // The stack an edit at this operator reaches (see `Edit::height`): for a helper
            // call, one more than the operand height at the bottom of an unreachable frame.
            // (An instruction with a helper neither enters nor leaves a frame, nor makes it
            // unreachable: the innermost frame is the one it was validated in, unchanged.)
            let dynamic = HelperKind::for_op(op);
            let bottom = dynamic.is_some()
                && fv
                    .get_control_frame(0)
                    .is_some_and(|f| f.unreachable && f.height == before as usize);
            if let Some(rules) = rules {
                let cost = match op {
                    Operator::Else | Operator::End => None,
                    _ => Some(rules.instruction_cost(op).ok_or_else(forbidden)?),
                };
                let edit_height = match op {
                    Operator::Call { .. } => before.max(height).saturating_add(2),
                    _ => before.saturating_add(u32::from(bottom)),
                };
                let at = OpAt {
                    index: op_index,
                    start: offset as usize,
                    end: ops.original_position() as usize,
                    height: edit_height,
                    after: height,
                };
                facts.plan.op(op, at, cost);
            }
            if let Operator::RefFunc { function_index } = *op {
                facts.ref_funcs.push(function_index);
            }
            if let Some(kind) = dynamic {
                if !facts.dynamic.contains(&kind) {
                    facts.dynamic.push(kind);
                }
            }
            op_index = op_index.saturating_add(1);
        }
        ops.finish()?;
        facts.locals = declared;
        facts.range = body_range(body);
        facts.height = max_height;
        facts.helper = self.recognize_helper(index, body);
        Ok(facts)
    }

    /// Defined function `index` as a helper of the layout, if its body is exactly a helper's.
    fn recognize_helper(&self, index: usize, body: &FunctionBody<'_>) -> Option<Helper> {
        let func = self.func_imports as usize + index;
        let ty = self
            .func_types
            .get(func)
            .and_then(|t| self.types.get(*t as usize))?;
        recognize_body(u32::try_from(func).ok()?, ty, body, self.layout.use_gas?)
    }

    /// Whether type `ty` is `(param i64)` with no results.
    fn is_use_gas_type(&self, ty: u32) -> bool {
        self.types
            .get(ty as usize)
            .is_some_and(|t| t.params() == [ValType::I64] && t.results().is_empty())
    }

    /// Marks every `ref.func` of a constant expression as escaping.
    fn mark_ref_funcs(&mut self, expr: &ConstExpr<'_>) -> Result<(), MeteringError> {
        for op in expr.get_operators_reader() {
            if let Operator::RefFunc { function_index } = op? {
                self.mark_escaping(function_index);
            }
        }
        Ok(())
    }

    /// Marks function `func` as referenced other than by `call`.
    fn mark_escaping(&mut self, func: u32) {
        let func = func as usize;
        if self.escaping.len() <= func {
            self.escaping.resize(func + 1, false);
        }
        if let Some(flag) = self.escaping.get_mut(func) {
            *flag = true;
        }
    }

    /// Number of functions, imported and defined.
    pub(crate) fn func_count(&self) -> u32 {
        self.func_imports + self.stack_costs.len() as u32
    }

    /// The helpers the module needs under `rules`, with their per-unit costs, in [`HelperKind::ALL`] order.
    pub(crate) fn needed_helpers(
        &self,
        rules: &dyn CostRules,
    ) -> Result<Vec<(HelperKind, u64)>, MeteringError> {
        let mut needed = Vec::new();
        for kind in HelperKind::ALL {
            let gas = kind.gas_per_unit(rules);
            if gas > 0 && self.dynamic.contains(&kind) {
                kind.check_cost(gas)?;
                needed.push((kind, gas));
            }
        }
        Ok(needed)
    }
}

/// The module offsets of `body` (its locals and code).
pub(crate) fn body_range(body: &FunctionBody<'_>) -> std::ops::Range<usize> {
    let range = body.range();
    range.start as usize..range.end as usize
}

/// Whether the plan does more with `op` than add its cost to a region: it opens or closes a
/// region, or its instruction is edited.
fn is_planned(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::End
            | Operator::Else
            | Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Call { .. }
            | Operator::RefFunc { .. }
    ) || HelperKind::for_op(op).is_some()
}

/// Whether `global` has the shape of the limiter's height global: mutable `i32`, `i32.const 0`.
fn is_height_global(global: &wasmparser::Global<'_>) -> bool {
    let mut init = global.init_expr.get_operators_reader();
    global.ty.mutable
        && global.ty.content_type == ValType::I32
        && matches!(init.read(), Ok(Operator::I32Const { value: 0 }))
        && matches!(init.read(), Ok(Operator::End))
        && init.eof()
}
