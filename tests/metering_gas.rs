//! Gas charged by metered code, computed by hand from the `ewasm` rules: 1 gas per instruction,
//! a region per function body and per `block`/`loop`/`if`/`else` costing 1 plus its
//! instructions (an opener counts in the enclosing region), charged when the region is entered;
//! 262144 gas per page of `memory.grow`; 3 gas per started 32-byte word of bulk memory operations
//! and per table element of bulk table operations. Each case runs fused and literally.

use ewvm::metering::{self, Config as MeterConfig};
use ewvm::wasm::{
    Caller, Engine, Error, GasFusion, HostModule, Linker, Module, Store, Trap, TrapCode, Val,
};

const GAS: u64 = 10_000_000;

/// Runs export `name` of the metered `wat` with `args` and `gas`, fused or literal; returns the
/// results (or trap) and the gas used.
fn run_with(
    wat: &str,
    limiter: bool,
    name: &str,
    args: &[Val],
    fused: bool,
    gas: u64,
) -> (Result<Vec<Val>, TrapCode>, u64) {
    let config = MeterConfig::default().stack_limit(limiter.then_some(1024));
    let metered = metering::instrument(&wat::parse_str(wat).unwrap(), &config).unwrap();
    let engine = Engine::default();
    let fusion = if fused {
        metered.layout.fusion()
    } else {
        GasFusion::default()
    };
    let module = Module::new_with_gas(&engine, &metered.bytes, &fusion).unwrap();
    let mut host = HostModule::new("ethereum");
    host.func_wrap(
        "useGas",
        |mut c: Caller<'_, ()>, gas: i64| -> Result<(), Trap> { c.consume_gas(gas as u64) },
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.grant(host).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let func = instance.get_func(&store, name).unwrap();
    let mut out: Vec<Val> = func
        .ty(&store)
        .results()
        .iter()
        .map(|t| Val::default_for(*t))
        .collect();
    store.set_gas(gas);
    let result = match func.call(&mut store, args, &mut out) {
        Ok(()) => Ok(out),
        Err(Error::Trap(t)) => Err(t.code().expect("engine trap")),
        Err(e) => panic!("{e}"),
    };
    (result, gas - store.gas())
}

fn run(
    wat: &str,
    limiter: bool,
    name: &str,
    args: &[Val],
    fused: bool,
) -> (Result<Vec<Val>, TrapCode>, u64) {
    run_with(wat, limiter, name, args, fused, GAS)
}

fn check(
    wat: &str,
    limiter: bool,
    name: &str,
    args: &[Val],
    result: Result<Vec<Val>, TrapCode>,
    gas: u64,
) {
    for fused in [true, false] {
        assert_eq!(
            run(wat, limiter, name, args, fused),
            (result.clone(), gas),
            "{name}{args:?} fused={fused}"
        );
    }
}

#[test]
fn straight_line_code() {
    // body: 1 + 3
    check(
        "(module (func (export \"f\") (result i32) (i32.add (i32.const 1) (i32.const 2))))",
        false,
        "f",
        &[],
        Ok(vec![Val::I32(3)]),
        4,
    );
}

const LOOP: &str = r#"(module (func (export "loop") (param i32)
    (block (loop
        (br_if 1 (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br 0)))))"#;

#[test]
fn loops_pay_per_iteration() {
    // body 1+1, block 1+1, loop 1+8 per entry; n iterations enter the loop n+1 times.
    for n in [0, 1, 3, 100] {
        check(
            LOOP,
            false,
            "loop",
            &[Val::I32(n)],
            Ok(vec![]),
            4 + 9 * (n as u64 + 1),
        );
    }
}

#[test]
fn if_else_regions() {
    let wat = r#"(module (func (export "ie") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.const 10)) (else (i32.const 20)))))"#;
    // body 1 + local.get + if; then 1 + 1; else 1 + 1.
    check(wat, false, "ie", &[Val::I32(1)], Ok(vec![Val::I32(10)]), 5);
    check(wat, false, "ie", &[Val::I32(0)], Ok(vec![Val::I32(20)]), 5);
}

#[test]
fn br_table_charges_regions_on_entry() {
    let wat = r#"(module (func (export "bt") (param i32) (result i32)
        (block (block (block (br_table 0 1 2 (local.get 0)))
            (return (i32.const 1))) (return (i32.const 2))) (i32.const 3)))"#;
    // body 1+2, outer 1+3, middle 1+3, inner 1+2: all entered before the branch.
    for (i, want) in [(0, 1), (1, 2), (2, 3), (7, 3)] {
        check(
            wat,
            false,
            "bt",
            &[Val::I32(i)],
            Ok(vec![Val::I32(want)]),
            14,
        );
    }
}

#[test]
fn memory_grow_pays_per_page() {
    let wat = r#"(module (memory 1 4) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    // body 1 + local.get + memory.grow, plus 262144 per page asked for, even when it fails.
    check(
        wat,
        false,
        "g",
        &[Val::I32(2)],
        Ok(vec![Val::I32(1)]),
        3 + 2 * 262_144,
    );
    check(
        wat,
        false,
        "g",
        &[Val::I32(5)],
        Ok(vec![Val::I32(-1)]),
        3 + 5 * 262_144,
    );
    check(wat, false, "g", &[Val::I32(0)], Ok(vec![Val::I32(1)]), 3);
}

#[test]
fn bulk_memory_pays_per_word() {
    let wat = r#"(module (memory 1) (func (export "fill") (param i32)
        (memory.fill (i32.const 0) (i32.const 7) (local.get 0))))"#;
    // body 1 + 4, plus 3 per started 32-byte word; charged before the (possibly trapping) fill.
    check(wat, false, "fill", &[Val::I32(100)], Ok(vec![]), 5 + 3 * 4);
    check(wat, false, "fill", &[Val::I32(32)], Ok(vec![]), 5 + 3);
    check(wat, false, "fill", &[Val::I32(0)], Ok(vec![]), 5);
    check(
        wat,
        false,
        "fill",
        &[Val::I32(65537)],
        Err(TrapCode::MemoryOutOfBounds),
        5 + 3 * 2049,
    );
}

#[test]
fn bulk_table_pays_per_element() {
    let wat = r#"(module (table 10 funcref) (func (export "tf") (param i32)
        (table.fill 0 (i32.const 0) (ref.null func) (local.get 0))))"#;
    // body 1 + 4, plus 3 per element.
    check(wat, false, "tf", &[Val::I32(4)], Ok(vec![]), 5 + 12);
}

#[test]
fn calls_with_and_without_the_stack_limiter() {
    let wat = r#"(module
        (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
        (func (export "c") (result i32) (call $sq (i32.const 7))))"#;
    // sq 1+3; c 1+2.
    check(wat, false, "c", &[], Ok(vec![Val::I32(49)]), 7);
    // The limiter wraps the call in 12 metered instructions (8 before, 4 after) and the export
    // in a thunk (1 + 12 + its call): sq 4, c 3 + 12, thunk 1 + 13.
    check(wat, true, "c", &[], Ok(vec![Val::I32(49)]), 33);
}

#[test]
fn out_of_gas_stops_at_the_region_start() {
    // 4 + 9 * 101 = 913 gas for n = 100; with 900, the trap leaves the counter unchanged:
    // 4 + 9 * 99 = 895 charged, and the 100th loop entry (9 more) does not fit in the 5 left.
    for fused in [true, false] {
        let (result, used) = run_with(LOOP, false, "loop", &[Val::I32(100)], fused, 900);
        assert_eq!((result, used), (Err(TrapCode::OutOfGas), 895));
    }
}

#[test]
fn the_stack_limiter_runs_as_fused_ops() {
    // Every limiter sequence of the call-heavy kernel becomes one op before and one after the
    // call: the height global is never read or written by ordinary global ops.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/kernels/calls.wasm");
    let metered =
        metering::instrument(&std::fs::read(path).unwrap(), &MeterConfig::default()).unwrap();
    let height = metered.layout.stack_height.expect("the limiter's global");
    // The executor's path (`ewasm::Vm`) finds the same layout in the bytes.
    assert_eq!(metering::recognize(&metered.bytes).unwrap(), metered.layout);
    let engine = Engine::default();
    let fused = Module::new_with_gas(&engine, &metered.bytes, &metered.layout.fusion()).unwrap();
    let code = fused.disassemble();
    let count = |what: &str| code.matches(what).count();
    let (enters, leaves) = (count("StackEnter("), count("StackLeave("));
    // A limited call reads the height three times (twice before, once after).
    let text = wasmprinter::print_bytes(&metered.bytes).unwrap();
    let sites = text.matches(&format!("global.get {height}\n")).count();
    assert!(sites >= 4 * 3, "{text}");
    assert_eq!((enters * 3, leaves * 3), (sites, sites), "{code}");
    let height_access = code.lines().any(|line| {
        (line.contains("GlobalGet(") || line.contains("GlobalSet("))
            && line.trim_end().ends_with(&format!(", {height})"))
    });
    assert!(!height_access, "{code}");
    // Each check is followed by its trap block: the `if` region's charge, then `unreachable`.
    let lines: Vec<&str> = code.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("StackEnter(") {
            assert!(lines[i + 1].ends_with("ConsumeGas(2)"), "{}", lines[i + 1]);
            assert!(lines[i + 2].ends_with("Unreachable"), "{}", lines[i + 2]);
        }
    }
    // Without the fusion table the literal sequences remain.
    let literal = Module::new(&engine, &metered.bytes).unwrap().disassemble();
    assert!(!literal.contains("StackEnter(") && !literal.contains("StackLeave("));
}
