//! The stack-height limiter (metering.md §5): a global counts the stack cost of the active
//! calls, and a call that would push it past the limit traps with `unreachable`.

use super::analyze::ModuleInfo;
use super::error::MeteringError;
use super::sections;
use wasm_encoder::reencode::{utils, Error, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, Elements, Function, FunctionSection, GlobalSection,
    GlobalType, InstructionSink, Module, SectionId, ValType,
};
use wasmparser::{
    CodeSectionReader, CustomSectionReader, ElementItems, ExternalKind, FunctionBody,
    FunctionSectionReader, GlobalSectionReader, Operator,
};

/// What the limiter produced.
pub(crate) struct LimitOutput {
    /// The limited module.
    pub(crate) bytes: Vec<u8>,
    /// Number of thunks added.
    pub(crate) thunks: u32,
}

/// Re-encodes a module with the stack-height limiter.
struct StackLimiter<'a> {
    /// Facts about the input.
    info: &'a ModuleInfo,
    /// Maximum total stack cost of the active calls.
    limit: u32,
    /// Index of the new height global (= number of globals in the input).
    global: u32,
    /// `(function, its thunk)` for every escaping function with a stack cost, by function index.
    thunks: Vec<(u32, u32)>,
    /// Whether the height global was emitted.
    global_done: bool,
}

/// Adds the limiter to `bytes`, described by `info`; `None` if no function has a stack cost.
pub(crate) fn limit_stack(
    bytes: &[u8],
    info: &ModuleInfo,
    limit: u32,
) -> Result<Option<LimitOutput>, MeteringError> {
    let defined = (info.func_imports..).zip(&info.stack_costs);
    let mut costly = defined.filter(|(_, cost)| **cost > 0).peekable();
    if costly.peek().is_none() {
        return Ok(None);
    }
    let mut thunks = Vec::new();
    let mut next_thunk = info.func_count();
    for (function, &cost) in costly {
        if limit.checked_add(cost).is_none() {
            return Err(MeteringError::StackCostOverflow {
                function,
                cost,
                limit,
            });
        }
        if info.escaping.get(function as usize) == Some(&true) {
            thunks.push((function, next_thunk));
            next_thunk = next_thunk
                .checked_add(1)
                .ok_or(MeteringError::IndexOverflow("functions"))?;
        }
    }
    let mut limiter = StackLimiter {
        info,
        limit,
        global: info.globals,
        thunks,
        global_done: false,
    };
    let mut module = Module::new();
    limiter.parse_core_module(&mut module, super::parser(), bytes)?;
    Ok(Some(LimitOutput {
        bytes: module.finish(),
        thunks: limiter.thunks.len() as u32,
    }))
}

impl StackLimiter<'_> {
    /// Stack cost of function `func` (0 for imports).
    fn cost(&self, func: u32) -> u32 {
        func.checked_sub(self.info.func_imports)
            .and_then(|i| self.info.stack_costs.get(i as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The function that references to `func` from outside `call` must use: its thunk if it has one.
    fn redirect(&self, func: u32) -> u32 {
        self.thunks
            .binary_search_by_key(&func, |t| t.0)
            .ok()
            .and_then(|i| self.thunks.get(i))
            .map_or(func, |t| t.1)
    }

    /// Emits `call callee`, wrapped in the height check if the callee has a stack cost.
    fn call(&self, ins: &mut InstructionSink<'_>, callee: u32) {
        let cost = self.cost(callee);
        if cost == 0 {
            ins.call(callee);
            return;
        }
        // Bit casts: the sum limit + cost was checked to fit in u32, and the comparison is unsigned.
        let (cost, limit, g) = (cost as i32, self.limit as i32, self.global);
        ins.global_get(g).i32_const(cost).i32_add().global_set(g);
        ins.global_get(g).i32_const(limit).i32_gt_u();
        ins.if_(BlockType::Empty).unreachable().end();
        ins.call(callee);
        ins.global_get(g).i32_const(cost).i32_sub().global_set(g);
    }

    /// Appends the height global, mutable `i32` starting at 0.
    fn add_global(&mut self, globals: &mut GlobalSection) {
        let ty = GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        };
        globals.global(ty, &ConstExpr::i32_const(0));
        self.global_done = true;
    }

    /// The type index of function `func`.
    fn type_of(&self, func: u32) -> u32 {
        self.info
            .func_types
            .get(func as usize)
            .copied()
            .unwrap_or(0)
    }
}

impl Reencode for StackLimiter<'_> {
    type Error = MeteringError;

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> Result<wasm_encoder::Instruction<'a>, Error<MeteringError>> {
        match op {
            Operator::RefFunc { function_index } => Ok(wasm_encoder::Instruction::RefFunc(
                self.redirect(function_index),
            )),
            op => utils::instruction(self, op),
        }
    }

    fn external_index(
        &mut self,
        kind: ExternalKind,
        index: u32,
    ) -> Result<u32, Error<MeteringError>> {
        // The limiter appends items only, so no other index moves.
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => Ok(self.redirect(index)),
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
                    .map(|f| f.map(|f| self.redirect(f)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Elements::Functions(funcs.into()))
            }
            items => utils::element_items(self, items),
        }
    }

    fn start_section(&mut self, start: u32) -> Result<u32, Error<MeteringError>> {
        Ok(self.redirect(start))
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: GlobalSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_global_section(self, globals, section)?;
        self.add_global(globals);
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: FunctionSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_function_section(self, functions, section)?;
        for &(func, _) in &self.thunks {
            functions.function(self.type_of(func));
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: CodeSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_code_section(self, code, section)?;
        for &(func, _) in &self.thunks {
            let params = self
                .info
                .types
                .get(self.type_of(func) as usize)
                .map_or(0, |t| t.params().len() as u32);
            let mut thunk = Function::new([]);
            let mut ins = thunk.instructions();
            for param in 0..params {
                ins.local_get(param);
            }
            self.call(&mut ins, func);
            ins.end();
            code.function(&thunk);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), Error<MeteringError>> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            match reader.read()? {
                Operator::Call { function_index } => {
                    self.call(&mut f.instructions(), function_index)
                }
                op => {
                    f.instruction(&self.instruction(op)?);
                }
            }
        }
        code.function(&f);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<MeteringError>> {
        if !self.global_done && sections::is_past(before, SectionId::Global) {
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
