//! Bad input never panics: thousands of truncated, bit-flipped and byte-mutated variants of
//! valid modules go through decode, validation, translation, instantiation and invocation.
//!
//! Execution of the mutants is bounded by metering them first (floats allowed) and running the
//! fused code with a gas limit, so a mutant that loops forever runs out of gas instead.

use ewvm::metering::{self, Config as MeterConfig, PermissiveRules};
use ewvm::wasm::{Caller, Config, Engine, HostModule, Linker, Module, Store, Trap, Val};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/kernels");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("tools/kernels exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .map(|p| std::fs::read(p).expect("readable"))
        .collect();
    seeds.sort();
    let wats = [
        r#"(module (memory 1 2) (table 2 funcref) (global $g (mut i32) (i32.const 0))
            (data (i32.const 0) "hello") (elem (i32.const 0) $f $g2)
            (func $f (export "f") (param i32) (result i32)
                (block (loop (br_if 1 (i32.eqz (local.get 0)))
                    (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
                (memory.fill (i32.const 0) (i32.const 1) (i32.const 10))
                (call_indirect (result i32) (i32.const 1) (i32.const 1)))
            (func $g2 (param i32) (result i32) (i32.load (local.get 0))))"#,
        r#"(module (memory 1) (func (export "m") (result i64)
            (memory.copy (i32.const 0) (i32.const 8) (i32.const 16))
            (drop (memory.grow (i32.const 1)))
            (i64.load (i32.const 3))))"#,
    ];
    seeds.extend(wats.iter().map(|w| wat::parse_str(w).expect("seed parses")));
    seeds
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut m = seed.to_vec();
    match rng.below(4) {
        0 => m.truncate(rng.below(seed.len())),
        1 => {
            for _ in 0..=rng.below(4) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let i = rng.below(m.len());
            m[i] = rng.next() as u8;
        }
        _ => {
            let i = rng.below(m.len());
            m.insert(i, rng.next() as u8);
        }
    }
    m
}

fn run_all_exports(engine: &Engine, bytes: &[u8]) -> usize {
    let Ok(metered) = metering::instrument(bytes, &MeterConfig::default().rules(PermissiveRules))
    else {
        return 0;
    };
    let Ok(module) = Module::new_with_gas(engine, &metered.bytes, &metered.layout.fusion()) else {
        return 0;
    };
    let mut host = HostModule::new("ethereum");
    host.func_wrap(
        "useGas",
        |mut c: Caller<'_, ()>, gas: i64| -> Result<(), Trap> { c.consume_gas(gas as u64) },
    )
    .expect("one function");
    let mut linker = Linker::new();
    linker.grant(host).expect("one module");
    let mut store = Store::new(engine, ());
    store.set_gas(2_000_000);
    let Ok(instance) = linker.instantiate(&mut store, &module) else {
        return 0;
    };
    let mut calls = 0;
    for (name, _) in instance.exports(&store) {
        let Some(func) = instance.get_func(&store, &name) else {
            continue;
        };
        let ty = func.ty(&store);
        let args: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
        let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        store.set_gas(2_000_000);
        let _ = func.call(&mut store, &args, &mut out);
        calls += 1;
    }
    calls
}

#[test]
fn mutated_modules_never_panic() {
    let engine = Engine::new(
        Config::default()
            .max_memory_pages(64)
            .max_value_stack(1 << 16)
            .max_call_depth(1000),
    );
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut variants, mut compiled, mut calls) = (0, 0, 0);
    for seed in seeds() {
        for _ in 0..1500 {
            let bytes = mutate(&mut rng, &seed);
            variants += 1;
            compiled += Module::new(&engine, &bytes).is_ok() as usize;
            calls += run_all_exports(&engine, &bytes);
        }
    }
    println!("{variants} variants, {compiled} compiled, {calls} export calls");
    assert!(
        variants >= 10_000 && compiled > 1000 && calls > 1000,
        "mutations exercised too little"
    );
}
