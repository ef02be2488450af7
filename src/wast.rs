//! A runner for WebAssembly specification scripts (`.wast`), built on [`crate::wasm`].
//!
//! Implements every directive kind of the WebAssembly 2.0 test suite: modules (text, binary and
//! quoted), `register`, `invoke`, `get`, `assert_return` (with NaN patterns and references),
//! `assert_trap`, `assert_exhaustion`, `assert_invalid`, `assert_malformed`,
//! `assert_unlinkable` and uninstantiable modules, plus the `spectest` host module.

use std::collections::HashMap;

use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use crate::wasm::{
    Config, Engine, Error, Extern, ExternRef, FuncType, Global, GlobalType, HostModule, Instance,
    InstantiationError, Limits, Linker, Memory, MemoryType, Module, Store, Table, TableType, Trap,
    TrapCode, Val, ValType,
};

/// The outcome of one script.
#[derive(Debug, Default, Clone)]
pub struct WastReport {
    /// Directives that behaved as the script expects.
    pub passed: usize,
    /// Directives that did not.
    pub failed: usize,
    /// One line per failed directive: `line:col: what went wrong`.
    pub failures: Vec<String>,
}

/// A script could not be parsed at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot parse script {name}: {message}")]
pub struct WastError {
    /// The script's name.
    pub name: String,
    /// The parser's message.
    pub message: String,
}

/// Runs the script `source` (named `name` in messages) in a fresh store.
///
/// # Errors
/// [`WastError`] if the script itself does not parse; directive failures are counted in the report.
pub fn run_script(name: &str, source: &str) -> Result<WastReport, WastError> {
    let parse_error = |e: wast::Error| {
        let mut e = e;
        e.set_text(source);
        WastError {
            name: name.to_string(),
            message: e.to_string(),
        }
    };
    let mut lexer = Lexer::new(source);
    // The suite's `names.wast` deliberately uses bidirectional-override characters.
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(parse_error)?;
    let script = parser::parse::<Wast>(&buf).map_err(parse_error)?;
    let mut runner = Runner::new();
    let mut report = WastReport::default();
    for directive in script.directives {
        let (line, col) = directive.span().linecol_in(source);
        match runner.directive(directive) {
            Ok(()) => report.passed += 1,
            Err(msg) => {
                report.failed += 1;
                report
                    .failures
                    .push(format!("{name}:{}:{}: {msg}", line + 1, col + 1));
            }
        }
    }
    Ok(report)
}

/// The state of one script run.
struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    named: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    current: Option<Instance>,
}

type Outcome = Result<(), String>;

impl Runner {
    fn new() -> Self {
        let engine = Engine::new(Config::default());
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new();
        define_spectest(&mut store, &mut linker);
        Self {
            engine,
            store,
            linker,
            named: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
        }
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<Instance, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module ${}", id.name())),
            None => self
                .current
                .ok_or_else(|| "no module instantiated".to_string()),
        }
    }

    fn compile(&self, module: &mut QuoteWat<'_>) -> Result<Module, String> {
        let bytes = module.encode().map_err(|e| format!("encode: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, InstantiationError> {
        self.linker.instantiate(&mut self.store, module)
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => {
                let id = module.name();
                let compiled = self.compile(&mut module)?;
                let instance = self.instantiate(&compiled).map_err(|e| e.to_string())?;
                self.current = Some(instance);
                if let Some(id) = id {
                    self.named.insert(id.name().to_string(), instance);
                }
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let id = module.name();
                let compiled = self.compile(&mut module)?;
                if let Some(id) = id {
                    self.definitions.insert(id.name().to_string(), compiled);
                }
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let name = module.ok_or("module instance without a definition")?.name();
                let def = self
                    .definitions
                    .get(name)
                    .cloned()
                    .ok_or("unknown module definition")?;
                let inst = self.instantiate(&def).map_err(|e| e.to_string())?;
                self.current = Some(inst);
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), inst);
                }
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.linker.define_instance(&self.store, name, instance);
                Ok(())
            }
            WastDirective::Invoke(invoke) => {
                self.invoke(&invoke).map(|_| ()).map_err(|e| e.to_string())
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = self
                    .execute(exec)
                    .map_err(|e| format!("unexpected error: {e}"))?;
                if got.len() != results.len() {
                    return Err(format!("expected {} results, got {got:?}", results.len()));
                }
                for (got, want) in got.iter().zip(&results) {
                    if !matches_ret(got, want) {
                        return Err(format!("expected {want:?}, got {got:?}"));
                    }
                }
                Ok(())
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(values) => Err(format!("expected trap \"{message}\", got {values:?}")),
                Err(ExecError::Trap(trap)) => check_trap(&trap, message),
                Err(e) => Err(format!("expected trap \"{message}\", got error: {e}")),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(values) => Err(format!("expected exhaustion, got {values:?}")),
                Err(ExecError::Trap(trap)) if trap.code() == Some(TrapCode::CallStackExhausted) => {
                    Ok(())
                }
                Err(e) => Err(format!("expected \"{message}\", got {e}")),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Ok(_) => Err(format!("module compiled, expected failure \"{message}\"")),
                Err(_) => Ok(()),
            },
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let compiled = self.compile(&mut QuoteWat::Wat(module))?;
                match self.instantiate(&compiled) {
                    Err(InstantiationError::Link(_)) => Ok(()),
                    Err(e) => Err(format!("expected link error \"{message}\", got {e}")),
                    Ok(_) => Err(format!("module linked, expected \"{message}\"")),
                }
            }
            other => Err(format!("unsupported directive {other:?}")),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(module) => {
                let compiled = self
                    .compile(&mut QuoteWat::Wat(module))
                    .map_err(ExecError::Other)?;
                match self.instantiate(&compiled) {
                    Ok(_) => Ok(Vec::new()),
                    Err(InstantiationError::Trap(trap)) => Err(ExecError::Trap(trap)),
                    Err(e) => Err(ExecError::Other(e.to_string())),
                }
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module).map_err(ExecError::Other)?;
                match instance.get_export(&self.store, global) {
                    Some(Extern::Global(g)) => Ok(vec![g.get(&self.store)]),
                    _ => Err(ExecError::Other(format!("no global export \"{global}\""))),
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        let instance = self.instance(invoke.module).map_err(ExecError::Other)?;
        let func = instance
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| ExecError::Other(format!("no function export \"{}\"", invoke.name)))?;
        let args = invoke
            .args
            .iter()
            .map(arg_value)
            .collect::<Result<Vec<_>, _>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(results),
            Err(Error::Trap(trap)) => Err(ExecError::Trap(trap)),
            Err(e) => Err(ExecError::Other(e.to_string())),
        }
    }
}

/// Why an execution did not return values.
#[derive(Debug, thiserror::Error)]
enum ExecError {
    #[error("trap: {0}")]
    Trap(Trap),
    #[error("{0}")]
    Other(String),
}

fn check_trap(trap: &Trap, expected: &str) -> Outcome {
    let got = trap.to_string();
    // The reference interpreter sometimes appends the element index ("uninitialized element 2").
    let with_index = expected
        .strip_prefix(got.as_str())
        .and_then(|rest| rest.strip_prefix(' '))
        .is_some_and(|n| n.parse::<u32>().is_ok());
    if got.contains(expected) || with_index {
        Ok(())
    } else {
        Err(format!("expected trap \"{expected}\", got \"{got}\""))
    }
}

fn is_func_heap(ty: &HeapType<'_>) -> bool {
    matches!(
        ty,
        HeapType::Abstract {
            ty: AbstractHeapType::Func,
            ..
        }
    )
}

fn arg_value(arg: &WastArg<'_>) -> Result<Val, ExecError> {
    let WastArg::Core(arg) = arg else {
        return Err(ExecError::Other(
            "component arguments are not supported".into(),
        ));
    };
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::RefNull(ty) if is_func_heap(ty) => Val::FuncRef(None),
        WastArgCore::RefNull(_) => Val::ExternRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef(*n))),
        other => return Err(ExecError::Other(format!("unsupported argument {other:?}"))),
    })
}

fn matches_ret(got: &Val, want: &WastRet<'_>) -> bool {
    let WastRet::Core(want) = want else {
        return false;
    };
    matches_core(got, want)
}

fn matches_core(got: &Val, want: &WastRetCore<'_>) -> bool {
    match (want, got) {
        (WastRetCore::I32(w), Val::I32(g)) => w == g,
        (WastRetCore::I64(w), Val::I64(g)) => w == g,
        (WastRetCore::F32(w), Val::F32(g)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff == 0x7fc0_0000,
            NanPattern::ArithmeticNan => g & 0x7fc0_0000 == 0x7fc0_0000,
            NanPattern::Value(v) => v.bits == *g,
        },
        (WastRetCore::F64(w), Val::F64(g)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
            NanPattern::ArithmeticNan => g & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
            NanPattern::Value(v) => v.bits == *g,
        },
        (WastRetCore::RefNull(ty), Val::FuncRef(None)) => ty.as_ref().is_none_or(is_func_heap),
        (WastRetCore::RefNull(ty), Val::ExternRef(None)) => !ty.as_ref().is_some_and(is_func_heap),
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => r.0 == *n,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::Either(options), got) => options.iter().any(|w| matches_core(got, w)),
        _ => false,
    }
}

/// Defines the `spectest` module of the reference interpreter.
fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) {
    let mut host = HostModule::new("spectest");
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[ValType::I32]),
        ("print_i64", &[ValType::I64]),
        ("print_f32", &[ValType::F32]),
        ("print_f64", &[ValType::F64]),
        ("print_i32_f32", &[ValType::I32, ValType::F32]),
        ("print_f64_f64", &[ValType::F64, ValType::F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(params.iter().copied(), []);
        // Names are distinct, so this cannot fail.
        let _ = host.func_new(name, ty, |_, _, _| Ok(()));
    }
    let _ = linker.grant(host);
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, content, value) in globals {
        let ty = GlobalType {
            content,
            mutable: false,
        };
        let global = Global::new(store, ty, value);
        linker.define("spectest", name, Extern::Global(global));
    }
    let table_ty = TableType {
        element: ValType::FuncRef,
        limits: Limits {
            min: 10,
            max: Some(20),
        },
    };
    if let Ok(table) = Table::new(store, table_ty, Val::FuncRef(None)) {
        linker.define("spectest", "table", Extern::Table(table));
    }
    let memory_ty = MemoryType {
        limits: Limits {
            min: 1,
            max: Some(2),
        },
    };
    if let Ok(memory) = Memory::new(store, memory_ty) {
        linker.define("spectest", "memory", Extern::Memory(memory));
    }
}
