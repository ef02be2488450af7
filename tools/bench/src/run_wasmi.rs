//! wasmi 2.0 in process (crate `wasmi`), eager translation, no fuel.

use std::time::Instant;

use wasmi::{Caller, CompilationMode, Config, Engine, Error, Extern, Linker, Module, Store, Val};

use crate::common::{contract_string, value_string, Halt, Ty, Work};
use crate::Measurement;

fn engine(mode: CompilationMode) -> Engine {
    let mut config = Config::default();
    config.compilation_mode(mode);
    // ewvm's default call-depth limit (16 Ki) rather than wasmi's 1000: `recurse_loop` goes
    // 1007 deep.
    config.set_max_recursion_depth(16 * 1024);
    Engine::new(&config)
}

struct Host {
    calldata: Vec<u8>,
    halt: Halt,
    gas: u64,
}

fn memory(c: &mut Caller<'_, Host>) -> Result<wasmi::Memory, Error> {
    c.get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| Error::new("no memory"))
}

fn range(ptr: i32, len: i32) -> std::ops::Range<usize> {
    let p = ptr as u32 as usize;
    p..p + len as u32 as usize
}

fn linker(engine: &Engine) -> Result<Linker<Host>, Error> {
    let mut l = Linker::<Host>::new(engine);
    l.func_wrap("ethereum", "useGas", |mut c: Caller<'_, Host>, g: i64| {
        let left = c
            .data()
            .gas
            .checked_sub(g as u64)
            .ok_or_else(|| Error::new("out of gas"))?;
        c.data_mut().gas = left;
        Ok(())
    })?;
    l.func_wrap("ethereum", "getGasLeft", |c: Caller<'_, Host>| {
        c.data().gas as i64
    })?;
    l.func_wrap("ethereum", "getCallDataSize", |c: Caller<'_, Host>| {
        c.data().calldata.len() as i32
    })?;
    l.func_wrap(
        "ethereum",
        "callDataCopy",
        |mut c: Caller<'_, Host>, res: i32, off: i32, len: i32| -> Result<(), Error> {
            let mem = memory(&mut c)?;
            let (data, host) = mem.data_and_store_mut(&mut c);
            let src = host
                .calldata
                .get(range(off, len))
                .ok_or_else(|| Error::new("oob"))?;
            data.get_mut(range(res, len))
                .ok_or_else(|| Error::new("oob"))?
                .copy_from_slice(src);
            Ok(())
        },
    )?;
    for (name, revert) in [("finish", false), ("revert", true)] {
        l.func_wrap(
            "ethereum",
            name,
            move |mut c: Caller<'_, Host>, ptr: i32, len: i32| -> Result<(), Error> {
                let mem = memory(&mut c)?;
                let (data, host) = mem.data_and_store_mut(&mut c);
                let out = data
                    .get(range(ptr, len))
                    .ok_or_else(|| Error::new("oob"))?
                    .to_vec();
                host.halt = if revert {
                    Halt::Revert(out)
                } else {
                    Halt::Finish(out)
                };
                Err(Error::i32_exit(0))
            },
        )?;
    }
    Ok(l)
}

fn val(ty: Ty, bits: u64) -> Val {
    match ty {
        Ty::I32 => Val::I32(bits as i32),
        Ty::I64 => Val::I64(bits as i64),
        Ty::F32 => Val::F32(f32::from_bits(bits as u32).into()),
        Ty::F64 => Val::F64(f64::from_bits(bits).into()),
    }
}

fn bits(v: &Val) -> u64 {
    match v {
        Val::I32(x) => *x as u32 as u64,
        Val::I64(x) => *x as u64,
        Val::F32(x) => x.to_bits() as u64,
        Val::F64(x) => x.to_bits(),
        _ => 0,
    }
}

pub fn run(work: &Work, reps: usize) -> Result<Measurement, String> {
    let e = |e: Error| e.to_string();
    match work {
        Work::Kernel {
            wasm,
            func,
            args,
            sig,
            ..
        } => {
            let engine = engine(CompilationMode::Eager);
            let module = Module::new(&engine, wasm).map_err(e)?;
            let params: Vec<Val> = sig
                .params
                .iter()
                .zip(args)
                .map(|(t, a)| val(*t, *a))
                .collect();
            let mut m = Measurement::default();
            for _ in 0..reps {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine)
                    .instantiate_and_start(&mut store, &module)
                    .map_err(e)?;
                let f = inst.get_func(&store, func).ok_or("no export")?;
                let mut out = vec![Val::I32(0); sig.results.len()];
                let t = Instant::now();
                f.call(&mut store, &params, &mut out).map_err(e)?;
                m.times.push(t.elapsed().as_secs_f64());
                m.result = value_string(sig.results[0], bits(&out[0]));
            }
            Ok(m)
        }
        Work::Contract {
            code,
            calldata,
            gas,
            ..
        } => {
            let engine = engine(CompilationMode::Eager);
            let module = Module::new(&engine, code).map_err(e)?;
            let linker = linker(&engine).map_err(e)?;
            let mut m = Measurement::default();
            for _ in 0..reps {
                let host = Host {
                    calldata: calldata.clone(),
                    halt: Halt::Running,
                    gas: *gas as u64,
                };
                let mut store = Store::new(&engine, host);
                let inst = linker
                    .instantiate_and_start(&mut store, &module)
                    .map_err(e)?;
                let main = inst.get_typed_func::<(), ()>(&store, "main").map_err(e)?;
                let t = Instant::now();
                let r = main.call(&mut store, ());
                m.times.push(t.elapsed().as_secs_f64());
                if let Err(err) = &r {
                    if store.data().halt == Halt::Running {
                        m.note = Some(format!("trap: {err}"));
                    }
                }
                let mem = inst.get_memory(&store, "memory").ok_or("no memory")?;
                m.result = contract_string(&store.data().halt, r.is_err(), mem.data(&store));
                m.gas = Some(*gas as u64 - store.data().gas);
            }
            Ok(m)
        }
        Work::Startup { code, .. } => {
            let mut m = Measurement::default();
            for lazy in [false, true] {
                let mode = if lazy {
                    CompilationMode::LazyTranslation
                } else {
                    CompilationMode::Eager
                };
                let mut times = Vec::new();
                for _ in 0..reps {
                    let engine = engine(mode);
                    let t = Instant::now();
                    let module = Module::new(&engine, code).map_err(e)?;
                    let linker = linker(&engine).map_err(e)?;
                    let mut store = Store::new(
                        &engine,
                        Host {
                            calldata: vec![],
                            halt: Halt::Running,
                            gas: 0,
                        },
                    );
                    let _inst = linker
                        .instantiate_and_start(&mut store, &module)
                        .map_err(e)?;
                    times.push(t.elapsed().as_secs_f64());
                }
                if lazy {
                    m.note = Some(format!(
                        "lazy translation (wasmi's default): {:.2} ms",
                        crate::common::median(&times) * 1e3
                    ));
                } else {
                    m.times = times;
                }
            }
            m.result = "instantiated".into();
            Ok(m)
        }
    }
}
