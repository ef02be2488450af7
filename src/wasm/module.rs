//! Compiled modules: decode and validate with `wasmparser`, translate every body once.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::parallel::map_in_order;
use wasmparser::{
    DataKind, ElementItems, ElementKind, ExternalKind, FuncToValidate, FuncValidatorAllocations,
    FunctionBody, Operator, Parser, Payload, TableInit, TypeRef, ValidPayload, Validator,
    ValidatorResources, WasmFeatures,
};

use super::config::Engine;
use super::error::CompileError;
use super::exec::{thread, Inst};
use super::gas::GasFusion;
use super::ir::{Op, RETURN_TARGET};
use super::translate::{FuncTranslator, Recorded, TranslatedFunc};
use super::types::{ExternType, GlobalType, Limits, MemoryType, TableType, ValType};

/// The WebAssembly 2.0 feature set without SIMD: everything else is rejected by the validator
/// with a message naming the disabled proposal.
pub(crate) fn features() -> WasmFeatures {
    WasmFeatures::WASM1
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::MULTI_VALUE
}

/// A constant initialiser expression (extended-const is not enabled, so one instruction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstExpr {
    /// A number, as an untyped slot.
    Value(u64),
    /// The value of a global (index in the module's global space).
    GlobalGet(u32),
    /// A reference to a function (index in the module's function space).
    RefFunc(u32),
    /// A null reference.
    RefNull,
}

impl ConstExpr {
    fn parse(expr: &wasmparser::ConstExpr<'_>) -> Result<Self, CompileError> {
        let mut reader = expr.get_operators_reader();
        let op = reader.read()?;
        Ok(match op {
            Operator::I32Const { value } => ConstExpr::Value(value as u32 as u64),
            Operator::I64Const { value } => ConstExpr::Value(value as u64),
            Operator::F32Const { value } => ConstExpr::Value(value.bits() as u64),
            Operator::F64Const { value } => ConstExpr::Value(value.bits()),
            Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Operator::RefNull { .. } => ConstExpr::RefNull,
            other => {
                return Err(CompileError::Invalid {
                    message: format!("unsupported constant expression {other:?}"),
                    offset: reader.original_position() as usize,
                })
            }
        })
    }
}

/// What an import asks for.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub module: String,
    pub name: String,
    pub ty: ExternType,
}

/// Where an element or data segment goes.
#[derive(Debug, Clone)]
pub(crate) enum SegmentMode {
    /// Copied at instantiation into table/memory `index` at `offset`, then dropped.
    Active { index: u32, offset: ConstExpr },
    /// Available to `table.init`/`memory.init`.
    Passive,
    /// Only declares `ref.func` targets; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub mode: SegmentMode,
    pub items: Vec<ConstExpr>,
}

/// A data segment.
#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub mode: SegmentMode,
    pub bytes: Arc<[u8]>,
}

/// The kind and index of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
}

/// Everything compiled from one module.
#[derive(Debug)]
pub(crate) struct ModuleInner {
    pub engine: Engine,
    /// Engine type id of each entry of the type section.
    pub types: Vec<u32>,
    pub imports: Vec<Import>,
    /// Engine type id of every function in the function index space (imports first).
    pub func_types: Vec<u32>,
    pub num_imported_funcs: u32,
    /// Translated bodies of the defined functions.
    pub funcs: Vec<TranslatedFunc>,
    /// Types of all tables (imports first), and initialisers of the defined ones.
    pub tables: Vec<TableType>,
    pub table_inits: Vec<ConstExpr>,
    pub memories: Vec<MemoryType>,
    /// Types of all globals (imports first), and initialisers of the defined ones.
    pub globals: Vec<GlobalType>,
    pub global_inits: Vec<ConstExpr>,
    pub exports: BTreeMap<String, ExportIndex>,
    /// Exports in declaration order.
    pub export_order: Vec<String>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// The internal code of all defined functions, as threaded code (see `exec::thread`).
    pub threaded: Vec<Inst>,
    /// The constant pools of all defined functions, then a spare slot (see `init_frame`).
    pub consts: Vec<u64>,
    /// The parts of every merged charge, `(pc, amount)` in code order (see
    /// `FuncTranslator::charge_parts`).
    pub charge_parts: Vec<(u32, u64)>,
    /// The stack limiter's height global, whose `StackEnter` and `StackLeave` the code has
    /// (see [`GasFusion::stack_height`]).
    pub stack_height: Option<u32>,
}

/// A validated and translated module: compile once, instantiate many times.
#[derive(Debug, Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

fn limits(initial: u64, maximum: Option<u64>) -> Limits {
    // Validation bounds 32-bit memories and tables to u32 ranges.
    Limits {
        min: initial as u32,
        max: maximum.map(|m| m as u32),
    }
}

fn table_type(t: &wasmparser::TableType) -> TableType {
    TableType {
        element: ValType::from_parser(wasmparser::ValType::Ref(t.element_type)),
        limits: limits(t.initial, t.maximum),
    }
}

fn global_type(t: &wasmparser::GlobalType) -> GlobalType {
    GlobalType {
        content: ValType::from_parser(t.content_type),
        mutable: t.mutable,
    }
}

/// A function body waiting for validation and translation.
type Body<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// A translated body: its frame layout, code and frame initialiser, positioned at 0.
type Translated = (TranslatedFunc, Vec<Op>, Vec<u64>, Vec<(u32, u64)>);

/// The operators of function bodies that this crate validated itself: the metering rewriter's
/// output for an input that its analysis validated, whose operators it knows without decoding
/// the output. Never built from bytes of unknown origin.
pub(crate) trait ValidatedBodies<'a>: Sync {
    /// The declared locals and maximum operand-stack height of defined function `index` as
    /// validation finds them; `None` if this function is not known (it is then validated as
    /// usual).
    fn shape(&self, index: usize) -> Option<(u32, u32)>;

    /// Calls `run` on what pass 1 of the translator reads of known function `index` (see
    /// [`Recorded`]), in order; `false` if it cannot.
    fn record(&self, index: usize, run: &mut dyn FnMut(Recorded<'_, 'a>)) -> bool;

    /// Calls `run` on the operators of known function `index`, in runs and in order, the same
    /// runs every time; `false` if it cannot. Each fusion of the translator that looks ahead
    /// (a charge, the limiter's code; see `FuncTranslator::run`) must find all of its
    /// operators in one run.
    fn walk(&self, index: usize, run: &mut dyn FnMut(&[Operator<'a>])) -> bool;

    /// Known function `index` is translated: what holds its operators may be freed (on the
    /// translating thread, rather than all at the end).
    fn release(&self, index: usize);
}

/// Validates (unless `known` has them) and translates `bodies` (the defined functions in
/// order) against `m`, in parallel for large modules; the results are in the same order.
fn translate_bodies<'a>(
    m: &ModuleInner,
    bodies: Vec<Body<'a>>,
    gas: &GasFusion,
    known: Option<&dyn ValidatedBodies<'a>>,
) -> Vec<Result<Translated, CompileError>> {
    let first = m.num_imported_funcs as usize;
    let one = |(translator, allocs): &mut (FuncTranslator<'a>, FuncValidatorAllocations),
               (i, (to_validate, body)): (usize, Body<'a>)| {
        let type_id = m.func_types[first + i];
        let known = known.and_then(|known| {
            let record = |run: &mut dyn FnMut(Recorded<'_, 'a>)| known.record(i, run);
            let walk = |run: &mut dyn FnMut(&[Operator<'a>])| known.walk(i, run);
            let shape = known.shape(i)?;
            let f = translator.translate_validated(m, type_id, shape, record, walk, gas);
            known.release(i);
            f
        });
        let f = match known {
            Some(f) => f?,
            None => {
                let validator = to_validate.into_validator(std::mem::take(allocs));
                let (f, reuse) = translator.translate(m, type_id, validator, &body, gas)?;
                *allocs = reuse;
                f
            }
        };
        let code = translator.code().to_vec();
        Ok((
            f,
            code,
            translator.init().collect(),
            translator.charge_parts().to_vec(),
        ))
    };
    map_in_order(bodies, |(_, body)| body.as_bytes().len(), one)
}

/// Threads the translated `bodies` of `funcs` (placed one after the other, `len` ops in all)
/// into the module's code, in parallel for large modules, and sets every function's start.
fn thread_bodies(bodies: &[Vec<Op>], funcs: &mut [TranslatedFunc], len: usize) -> Vec<Inst> {
    // Whether `CallInternal(func)` enters a body that starts with a gas charge.
    let charged = |func: u32| {
        let first = bodies.get(func as usize).and_then(|body| body.first());
        matches!(first, Some(Op::ConsumeGas(_)))
    };
    let mut threaded = Vec::with_capacity(len);
    let mut rest = &mut threaded.spare_capacity_mut()[..len];
    let mut parts = Vec::with_capacity(bodies.len());
    for body in bodies {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(body.len());
        parts.push((&body[..], part));
        rest = tail;
    }
    let starts = map_in_order(
        parts,
        |(body, _)| body.len(),
        |_: &mut (), (_, (body, out))| thread(body, charged, out),
    );
    for (f, start) in funcs.iter_mut().zip(starts) {
        f.start = start;
    }
    // SAFETY: the parts cover the first `len` slots, and `thread` wrote every slot of its part
    // (it returns only then).
    unsafe { threaded.set_len(len) };
    threaded
}

impl Module {
    /// Decodes, validates and translates a binary module.
    ///
    /// # Errors
    /// [`CompileError::Invalid`] when the bytes are malformed or invalid, or use a feature
    /// outside WebAssembly 2.0 without SIMD (the message names the feature).
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module, CompileError> {
        Self::new_with_gas(engine, bytes, &GasFusion::default())
    }

    /// Like [`Module::new`], fusing the gas-charging calls described by `gas` into native charges
    /// of the store's gas counter (see [`GasFusion`]).
    ///
    /// # Errors
    /// As [`Module::new`].
    pub fn new_with_gas(
        engine: &Engine,
        bytes: &[u8],
        gas: &GasFusion,
    ) -> Result<Module, CompileError> {
        Self::compile(engine, bytes, gas, None)
    }

    /// [`Module::new_with_gas`], taking the operators of the bodies that `known` has from it
    /// instead of decoding and validating them (the sections are still validated).
    pub(crate) fn new_validated<'a>(
        engine: &Engine,
        bytes: &'a [u8],
        gas: &GasFusion,
        known: &dyn ValidatedBodies<'a>,
    ) -> Result<Module, CompileError> {
        Self::compile(engine, bytes, gas, Some(known))
    }

    /// Compiles `bytes`, with the bodies of `known` already validated.
    fn compile<'a>(
        engine: &Engine,
        bytes: &'a [u8],
        gas: &GasFusion,
        known: Option<&dyn ValidatedBodies<'a>>,
    ) -> Result<Module, CompileError> {
        let mut validator = Validator::new_with_features(features());
        let mut m = ModuleInner {
            engine: engine.clone(),
            types: Vec::new(),
            imports: Vec::new(),
            func_types: Vec::new(),
            num_imported_funcs: 0,
            funcs: Vec::new(),
            tables: Vec::new(),
            table_inits: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            global_inits: Vec::new(),
            exports: BTreeMap::new(),
            export_order: Vec::new(),
            start: None,
            elems: Vec::new(),
            datas: Vec::new(),
            threaded: Vec::new(),
            consts: Vec::new(),
            charge_parts: Vec::new(),
            stack_height: gas.stack_height,
        };
        let mut bodies = Vec::new();
        let mut parser = Parser::new(0);
        parser.set_features(features());
        for payload in parser.parse_all(bytes) {
            let payload = payload?;
            let valid = validator.payload(&payload)?;
            if let Payload::CodeSectionStart { count, .. } = payload {
                // Validated: `count` is the function section's.
                m.funcs.reserve(count as usize);
            }
            if let ValidPayload::Func(to_validate, body) = valid {
                bodies.push((to_validate, body));
                continue;
            }
            m.read_section(engine, payload)?;
        }
        // The first invalid body in index order is the error, whatever the threads' timing.
        let mut code = Vec::with_capacity(m.funcs.capacity());
        let mut len = 0;
        for translated in translate_bodies(&m, bodies, gas, known) {
            let (mut f, body, init, parts) = translated?;
            f.entry = len as u32;
            let parts = parts.into_iter().map(|(pc, amount)| (f.entry + pc, amount));
            m.charge_parts.extend(parts);
            f.init_start = m.consts.len() as u32;
            m.funcs.push(f);
            len += body.len();
            code.push(body);
            m.consts.extend(init);
        }
        // The spare slot that frame initialisers may read past their end (see `init_frame`).
        m.consts.push(0);
        m.threaded = thread_bodies(&code, &mut m.funcs, len);
        Ok(Module { inner: Arc::new(m) })
    }

    /// Parses the text format (or passes binary through) and compiles the result.
    ///
    /// # Errors
    /// [`CompileError::Text`] for text that does not parse, otherwise as [`Module::new`].
    pub fn from_wat(engine: &Engine, source: impl AsRef<[u8]>) -> Result<Module, CompileError> {
        let bytes =
            wat::parse_bytes(source.as_ref()).map_err(|e| CompileError::Text(e.to_string()))?;
        Module::new(engine, &bytes)
    }

    /// The imports as `(module, field, type)` in declaration order.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, &ExternType)> {
        self.inner
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), &i.ty))
    }

    /// The export names in declaration order.
    pub fn export_names(&self) -> impl Iterator<Item = &str> {
        self.inner.export_order.iter().map(String::as_str)
    }

    /// A listing of the internal code of every defined function, for inspecting the translator.
    pub fn disassemble(&self) -> String {
        let m = &self.inner;
        let mut out = String::new();
        for (i, f) in m.funcs.iter().enumerate() {
            let end = m
                .funcs
                .get(i + 1)
                .map_or(m.threaded.len(), |next| next.entry as usize);
            let zeroes = f.params + f.locals - f.zero_at;
            // The zeros that the initialiser copies, before the constants.
            let copied = (zeroes - f.zeroed) as usize;
            let consts =
                &m.consts[f.init_start as usize + copied..][..f.init_len as usize - copied];
            out += &format!(
                "func {} (params {}, locals {}, zeroes {}, frame {}) consts {consts:?}\n",
                m.num_imported_funcs as usize + i,
                f.params,
                f.locals,
                zeroes,
                f.frame_size
            );
            for pc in f.entry as usize..end {
                // Branch targets shown as absolute indices.
                let mut op = m.threaded[pc].op();
                if let Some(target) = op.target_mut().filter(|t| **t != RETURN_TARGET) {
                    *target = target.wrapping_add(pc as u32);
                }
                out += &format!("  {pc:5}: {op:?}\n");
            }
        }
        out
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

impl ModuleInner {
    /// The literal charges `(pc, amount)` that the merged charge at `pc` stands for, in order
    /// (none if it is not merged).
    pub(crate) fn charge_parts(&self, pc: u32) -> &[(u32, u64)] {
        let parts = &self.charge_parts;
        let start = parts.partition_point(|&(at, _)| at < pc);
        let end = parts.partition_point(|&(at, _)| at <= pc);
        &parts[start..end]
    }

    /// Records the module-level content of a (validated) section.
    fn read_section(&mut self, engine: &Engine, payload: Payload<'_>) -> Result<(), CompileError> {
        match payload {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let ft = super::types::FuncType::new(
                        ty.params().iter().map(|t| ValType::from_parser(*t)),
                        ty.results().iter().map(|t| ValType::from_parser(*t)),
                    );
                    self.types.push(engine.intern(&ft));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = match import.ty {
                        TypeRef::Func(idx) | TypeRef::FuncExact(idx) => {
                            let id = self.types[idx as usize];
                            self.func_types.push(id);
                            self.num_imported_funcs += 1;
                            ExternType::Func((*engine.func_type(id)).clone())
                        }
                        TypeRef::Table(t) => {
                            self.tables.push(table_type(&t));
                            ExternType::Table(table_type(&t))
                        }
                        TypeRef::Memory(t) => {
                            let ty = MemoryType {
                                limits: limits(t.initial, t.maximum),
                            };
                            self.memories.push(ty);
                            ExternType::Memory(ty)
                        }
                        TypeRef::Global(t) => {
                            self.globals.push(global_type(&t));
                            ExternType::Global(global_type(&t))
                        }
                        TypeRef::Tag(_) => unreachable!("exceptions are disabled in validation"),
                    };
                    self.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for idx in reader {
                    self.func_types.push(self.types[idx? as usize]);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    self.tables.push(table_type(&table.ty));
                    self.table_inits.push(match table.init {
                        TableInit::RefNull => ConstExpr::RefNull,
                        TableInit::Expr(e) => ConstExpr::parse(&e)?,
                    });
                }
            }
            Payload::MemorySection(reader) => {
                for mem in reader {
                    let mem = mem?;
                    self.memories.push(MemoryType {
                        limits: limits(mem.initial, mem.maximum),
                    });
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    self.globals.push(global_type(&global.ty));
                    self.global_inits.push(ConstExpr::parse(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            ExportIndex::Func(export.index)
                        }
                        ExternalKind::Table => ExportIndex::Table(export.index),
                        ExternalKind::Memory => ExportIndex::Memory(export.index),
                        ExternalKind::Global => ExportIndex::Global(export.index),
                        ExternalKind::Tag => unreachable!("exceptions are disabled in validation"),
                    };
                    self.exports.insert(export.name.to_string(), index);
                    self.export_order.push(export.name.to_string());
                }
            }
            Payload::StartSection { func, .. } => self.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let mode = match elem.kind {
                        ElementKind::Passive => SegmentMode::Passive,
                        ElementKind::Declared => SegmentMode::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: table_index.unwrap_or(0),
                            offset: ConstExpr::parse(&offset_expr)?,
                        },
                    };
                    let items = match elem.items {
                        ElementItems::Functions(funcs) => funcs
                            .into_iter()
                            .map(|f| f.map(ConstExpr::RefFunc).map_err(CompileError::from))
                            .collect::<Result<_, _>>()?,
                        ElementItems::Expressions(_, exprs) => exprs
                            .into_iter()
                            .map(|e| ConstExpr::parse(&e?))
                            .collect::<Result<_, _>>()?,
                    };
                    self.elems.push(ElemSegment { mode, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        DataKind::Passive => SegmentMode::Passive,
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: ConstExpr::parse(&offset_expr)?,
                        },
                    };
                    self.datas.push(DataSegment {
                        mode,
                        bytes: data.data.into(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }
}
