//! The interpreter's public API: capability-scoped linking, typed host functions and host
//! errors, resource limits, determinism and feature gating.

use ewvm::wasm::{
    Caller, CompileError, Config, Engine, Error, HostModule, InstantiationError, LinkError, Linker,
    Module, Store, Trap, TrapCode, Val,
};

fn compile(engine: &Engine, wat: &str) -> Module {
    Module::from_wat(engine, wat).expect("test module compiles")
}

fn call(
    store: &mut Store<impl Sized>,
    instance: ewvm::wasm::Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let func = instance.get_func(store, name).expect("export exists");
    let ty = func.ty(store);
    let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    func.call(store, args, &mut out)?;
    Ok(out)
}

const IMPORTS_DEBUG: &str = r#"(module
    (import "debug" "print32" (func $p (param i32)))
    (memory (export "memory") 1)
    (func (export "run") (param i32) (call $p (local.get 0))))"#;

#[test]
fn ungranted_host_module_fails_to_link_naming_the_import() {
    let engine = Engine::default();
    let module = compile(&engine, IMPORTS_DEBUG);
    let mut store = Store::new(&engine, ());
    let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
    match err {
        InstantiationError::Link(LinkError::ModuleNotGranted { module, field }) => {
            assert_eq!((module.as_str(), field.as_str()), ("debug", "print32"));
        }
        other => panic!("expected ModuleNotGranted, got {other}"),
    }
    assert!(Linker::<()>::new()
        .instantiate(&mut store, &module)
        .unwrap_err()
        .to_string()
        .contains("debug.print32"));
}

#[test]
fn granted_host_module_links_and_sees_caller_memory_and_state() {
    let engine = Engine::default();
    let module = compile(&engine, IMPORTS_DEBUG);
    let mut host = HostModule::<Vec<i32>>::new("debug");
    host.func_wrap(
        "print32",
        |mut caller: Caller<'_, Vec<i32>>, v: i32| -> Result<(), Trap> {
            let first = caller.memory().map(|m| m[0]).unwrap_or(0xff);
            caller.data_mut().push(v + first as i32);
            Ok(())
        },
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.grant(host).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    instance
        .get_memory(&store, "memory")
        .unwrap()
        .data_mut(&mut store)[0] = 10;
    call(&mut store, instance, "run", &[Val::I32(5)]).unwrap();
    assert_eq!(store.data(), &vec![15]);
}

#[test]
fn wrong_import_signature_is_a_typed_link_error() {
    let engine = Engine::default();
    let module = compile(&engine, IMPORTS_DEBUG);
    let mut host = HostModule::<()>::new("debug");
    host.func_wrap("print32", |_: Caller<'_, ()>, _: i64| -> Result<(), Trap> {
        Ok(())
    })
    .unwrap();
    let mut linker = Linker::new();
    linker.grant(host).unwrap();
    let mut store = Store::new(&engine, ());
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(
        matches!(
            err,
            InstantiationError::Link(LinkError::IncompatibleType { .. })
        ),
        "{err}"
    );
    let mut host = HostModule::<()>::new("debug");
    host.func_wrap("other", |_: Caller<'_, ()>| -> Result<(), Trap> { Ok(()) })
        .unwrap();
    let mut linker = Linker::new();
    linker.grant(host).unwrap();
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(
        matches!(
            err,
            InstantiationError::Link(LinkError::UnknownField { .. })
        ),
        "{err}"
    );
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("finished with {0}")]
struct Finish(i32);

#[test]
fn host_errors_stop_execution_and_come_back_typed() {
    let engine = Engine::default();
    let module = compile(
        &engine,
        r#"(module (import "env" "finish" (func $f (param i32)))
            (global $after (mut i32) (i32.const 0))
            (func (export "run") (call $f (i32.const 7)) (global.set $after (i32.const 1)))
            (func (export "after") (result i32) (global.get $after)))"#,
    );
    let mut host = HostModule::<()>::new("env");
    host.func_wrap("finish", |_: Caller<'_, ()>, v: i32| -> Result<(), Trap> {
        Err(Trap::host(Finish(v)))
    })
    .unwrap();
    let mut linker = Linker::new();
    linker.grant(host).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let Err(Error::Trap(trap)) = call(&mut store, instance, "run", &[]) else {
        panic!("expected a host trap");
    };
    assert_eq!(trap.downcast_ref::<Finish>(), Some(&Finish(7)));
    assert_eq!(trap.code(), None);
    assert_eq!(
        call(&mut store, instance, "after", &[]).unwrap(),
        vec![Val::I32(0)]
    );
}

const RECURSE: &str = r#"(module
    (func $down (export "down") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 0))
            (else (i64.add (i64.const 1) (call $down (i64.sub (local.get 0) (i64.const 1))))))))"#;

#[test]
fn deep_recursion_uses_no_host_stack() {
    let engine = Engine::new(
        Config::default()
            .max_call_depth(1_000_000)
            .max_value_stack(1 << 24),
    );
    let module = compile(&engine, RECURSE);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let out = call(&mut store, instance, "down", &[Val::I64(500_000)]).unwrap();
    assert_eq!(out, vec![Val::I64(500_000)]);
}

/// A loop of many instruction kinds (arithmetic, loads, stores, globals, branches, calls),
/// run for millions of instructions on a test thread's small host stack: threaded dispatch must
/// jump from handler to handler, never nest host frames per instruction.
const LONG_LOOP: &str = r#"(module
    (memory 1)
    (global $g (mut i64) (i64.const 0))
    (func $mix (param i64) (result i64) (i64.rotl (local.get 0) (i64.const 7)))
    (func (export "spin") (param $n i32) (result i64)
        (local $acc i64)
        (loop $top
            (i32.store (i32.and (local.get $n) (i32.const 1020)) (local.get $n))
            (local.set $acc (i64.xor (local.get $acc)
                (i64.extend_i32_u (i32.load (i32.and (local.get $n) (i32.const 1020))))))
            (local.set $acc (call $mix (local.get $acc)))
            (global.set $g (i64.add (global.get $g) (local.get $acc)))
            (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (global.get $g)))"#;

#[test]
fn millions_of_instructions_keep_the_host_stack_flat() {
    let engine = Engine::default();
    let module = compile(&engine, LONG_LOOP);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let n = 1_000_000u32;
    let out = call(&mut store, instance, "spin", &[Val::I32(n as i32)]).unwrap();
    let (mut acc, mut g) = (0u64, 0u64);
    for i in (1..=n).rev() {
        acc = (acc ^ i as u64).rotate_left(7);
        g = g.wrapping_add(acc);
    }
    assert_eq!(out, vec![Val::I64(g as i64)]);
}

/// A module of `n` functions, each with a loop (branch targets) and a call of the previous one:
/// `f(i)(x) = f(i-1)(x) + i·x`, so `f(n-1)(x) = x·n(n-1)/2`; `bad` lists bodies made invalid.
fn many_functions(n: usize, bad: &[usize]) -> String {
    let mut wat = String::from("(module");
    for i in 0..n {
        let body = if bad.contains(&i) {
            "(i64.const 0)".to_string()
        } else if i == 0 {
            "(i32.const 0)".to_string()
        } else {
            format!(
                "(local $k i32) (local $acc i32)
                 (loop $l (local.set $acc (i32.add (local.get $acc) (local.get 0)))
                     (local.set $k (i32.add (local.get $k) (i32.const 1)))
                     (br_if $l (i32.lt_u (local.get $k) (i32.const {i}))))
                 (i32.add (call {prev} (local.get 0)) (local.get $acc))",
                prev = i - 1
            )
        };
        wat += &format!("(func (export \"f{i}\") (param i32) (result i32) {body})");
    }
    wat + ")"
}

#[test]
fn large_modules_translate_in_parallel_with_the_same_result_and_first_error() {
    // Above the parallel threshold (64 bodies): code and constants are placed in index order.
    let engine = Engine::default();
    let module = compile(&engine, &many_functions(200, &[]));
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let out = call(&mut store, instance, "f199", &[Val::I32(3)]).unwrap();
    assert_eq!(out, vec![Val::I32(3 * 199 * 200 / 2)]);
    // Two invalid bodies: the error is always the first one's (function 120's body offset).
    let bytes = wat::parse_str(many_functions(200, &[120, 150])).unwrap();
    let first = Module::new(
        &engine,
        &wat::parse_str(many_functions(200, &[120])).unwrap(),
    )
    .unwrap_err()
    .to_string();
    for _ in 0..20 {
        let err = Module::new(&engine, &bytes).unwrap_err().to_string();
        assert_eq!(err, first);
    }
}

#[test]
fn call_depth_limit_is_a_trap() {
    let engine = Engine::new(Config::default().max_call_depth(100));
    let module = compile(&engine, RECURSE);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    assert_eq!(
        call(&mut store, instance, "down", &[Val::I64(99)]).unwrap(),
        vec![Val::I64(99)]
    );
    let Err(Error::Trap(trap)) = call(&mut store, instance, "down", &[Val::I64(100)]) else {
        panic!("expected call stack exhaustion");
    };
    assert_eq!(trap.code(), Some(TrapCode::CallStackExhausted));
    assert_eq!(trap.to_string(), "call stack exhausted");
    // The store stays usable after a trap.
    assert_eq!(
        call(&mut store, instance, "down", &[Val::I64(3)]).unwrap(),
        vec![Val::I64(3)]
    );
}

#[test]
fn value_stack_limit_is_a_trap() {
    let engine = Engine::new(Config::default().max_value_stack(1000));
    let module = compile(&engine, RECURSE);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let Err(Error::Trap(trap)) = call(&mut store, instance, "down", &[Val::I64(10_000)]) else {
        panic!("expected call stack exhaustion");
    };
    assert_eq!(trap.code(), Some(TrapCode::CallStackExhausted));
}

#[test]
fn memory_limits_are_enforced() {
    let engine = Engine::new(Config::default().max_memory_pages(4));
    let module = compile(
        &engine,
        r#"(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    assert_eq!(
        call(&mut store, instance, "grow", &[Val::I32(3)]).unwrap(),
        vec![Val::I32(1)]
    );
    assert_eq!(
        call(&mut store, instance, "grow", &[Val::I32(1)]).unwrap(),
        vec![Val::I32(-1)]
    );
    let big = compile(&engine, "(module (memory 5))");
    let err = Linker::new().instantiate(&mut store, &big).unwrap_err();
    assert!(matches!(err, InstantiationError::Limit(_)), "{err}");
}

#[test]
fn nan_results_are_canonical() {
    let engine = Engine::default();
    let module = compile(
        &engine,
        r#"(module
            (func (export "add32") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
            (func (export "sqrt64") (param f64) (result f64) (f64.sqrt (local.get 0)))
            (func (export "neg32") (param f32) (result f32) (f32.neg (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let payload_nan = Val::F32(0xffc0_1234);
    let out = call(
        &mut store,
        instance,
        "add32",
        &[payload_nan, Val::F32(1.0f32.to_bits())],
    )
    .unwrap();
    assert_eq!(out, vec![Val::F32(0x7fc0_0000)]);
    let out = call(
        &mut store,
        instance,
        "sqrt64",
        &[Val::F64((-1.0f64).to_bits())],
    )
    .unwrap();
    assert_eq!(out, vec![Val::F64(0x7ff8_0000_0000_0000)]);
    // Sign and payload operations are bitwise and keep the payload.
    let out = call(&mut store, instance, "neg32", &[payload_nan]).unwrap();
    assert_eq!(out, vec![Val::F32(0x7fc0_1234)]);
}

#[test]
fn features_outside_wasm2_are_rejected_by_name() {
    let engine = Engine::default();
    let cases = [
        (
            "(module (func (result v128) (v128.const i64x2 0 0)))",
            "SIMD",
        ),
        ("(module (memory i64 1))", "memory64"),
        ("(module (memory 1) (memory 1))", "multiple memories"),
        ("(module (func $f) (func (return_call $f)))", "tail calls"),
        (
            "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
            "constant expression",
        ),
    ];
    for (wat, feature) in cases {
        match Module::from_wat(&engine, wat) {
            Err(CompileError::Invalid { message, .. }) => {
                assert!(
                    message.contains(feature),
                    "`{wat}`: `{message}` should name {feature}"
                );
            }
            other => panic!("`{wat}` should be rejected, got {other:?}"),
        }
    }
}

#[test]
fn call_with_wrong_arguments_is_a_type_error() {
    let engine = Engine::default();
    let module = compile(&engine, RECURSE);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let err = call(&mut store, instance, "down", &[Val::I32(1)]).unwrap_err();
    assert!(matches!(err, Error::Type(_)), "{err}");
}

/// `call_indirect` after the table changed under the executor: grown by Wasm (the buffer moves),
/// set by Wasm, grown and set by a re-entrant call from a host function; and through table 1, to
/// a host function and to another instance's function (which the executor's core hands to its
/// driver).
const TABLE_CHANGES: &str = r#"(module
    (import "env" "reenter" (func $reenter))
    (import "other" "seven" (func $seven (result i32)))
    (type $r (func (result i32)))
    (table $t 1 funcref)
    (table $u 1 funcref)
    (elem (table $t) (i32.const 0) func $one)
    (elem (table $u) (i32.const 0) func $two)
    (elem declare func $two $three $seven)
    (func $one (result i32) (i32.const 1))
    (func $two (result i32) (i32.const 2))
    (func $three (result i32) (i32.const 3))
    (func (export "grow_and_set")
        (drop (table.grow $t (ref.func $two) (i32.const 5000)))
        (table.set $t (i32.const 4000) (ref.func $three)))
    (func $at (export "at") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0)))
    (func (export "wasm_grows") (result i32)
        (drop (table.grow $t (ref.func $two) (i32.const 1000)))
        (call $at (i32.const 999)))
    (func (export "wasm_sets") (result i32)
        (table.set $t (i32.const 0) (ref.func $three))
        (call $at (i32.const 0)))
    (func (export "host_grows") (result i32)
        (call $reenter)
        (i32.add (call $at (i32.const 4000)) (call $at (i32.const 4999))))
    (func (export "second_table") (result i32) (call_indirect $u (type $r) (i32.const 0)))
    (func (export "foreign") (result i32)
        (table.set $t (i32.const 0) (ref.func $seven))
        (call $at (i32.const 0))))"#;

#[test]
fn call_indirect_sees_every_table_change() {
    let engine = Engine::new(Config::default());
    let other = compile(
        &engine,
        r#"(module (func (export "seven") (result i32) (i32.const 7)))"#,
    );
    let module = compile(&engine, TABLE_CHANGES);
    let fresh = || {
        let mut store = Store::new(&engine, ());
        let other = Linker::new().instantiate(&mut store, &other).unwrap();
        let seven = other.get_export(&store, "seven").unwrap();
        let mut env = HostModule::new("env");
        env.func_wrap("reenter", |mut caller: Caller<'_, ()>| {
            let Some(ewvm::wasm::Extern::Func(f)) = caller.get_export("grow_and_set") else {
                panic!("export grow_and_set");
            };
            f.call(caller.store_mut(), &[], &mut [])
                .map_err(|e| match e {
                    Error::Trap(trap) => trap,
                    other => panic!("{other}"),
                })
        })
        .unwrap();
        let mut linker = Linker::new();
        linker.grant(env).unwrap().define("other", "seven", seven);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        (store, instance)
    };
    let cases: [(&str, i32); 5] = [
        ("wasm_grows", 2),
        ("wasm_sets", 3),
        ("host_grows", 5),
        ("second_table", 2),
        ("foreign", 7),
    ];
    for (name, want) in cases {
        let (mut store, instance) = fresh();
        assert_eq!(
            call(&mut store, instance, "at", &[Val::I32(0)]).unwrap(),
            vec![Val::I32(1)]
        );
        assert_eq!(
            call(&mut store, instance, name, &[]).unwrap(),
            vec![Val::I32(want)],
            "{name}"
        );
    }
    let (mut store, instance) = fresh();
    let trap = |r: Result<Vec<Val>, Error>| match r {
        Err(Error::Trap(trap)) => trap.code(),
        other => panic!("expected a trap, got {other:?}"),
    };
    assert_eq!(
        trap(call(&mut store, instance, "at", &[Val::I32(1)])),
        Some(TrapCode::UndefinedElement)
    );
    call(&mut store, instance, "grow_and_set", &[]).unwrap();
    assert_eq!(
        call(&mut store, instance, "at", &[Val::I32(4000)]).unwrap(),
        vec![Val::I32(3)]
    );
}
