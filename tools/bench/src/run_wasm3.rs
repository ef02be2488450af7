//! wasm3 in process: the `wasm3` crate 0.3.1 (wasm3 C sources compiled by its build script,
//! bindings generated against libclang-14, 32-bit stack slots, no WASI). wasm3 compiles each
//! function lazily on its first call, inside a runtime: a fresh runtime per repetition means the
//! timed call includes compiling the functions it reaches (a one-pass compile, small next to
//! the run for every workload here; start-up is parse + load only).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use wasm3::error::Trap;
use wasm3::{CallContext, Environment, Runtime};

use crate::common::{contract_string, value_string, Halt, Ty, Work};
use crate::Measurement;

const STACK: u32 = 8 << 20;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Calls a kernel by its (static) signature; returns the result bits.
fn call_kernel(
    module: &wasm3::Module<'_>,
    func: usize,
    params: &[Ty],
    args: &[u64],
    result: Ty,
) -> Result<(u64, f64), String> {
    macro_rules! go {
        ($args:ty, $ret:ty, $conv:expr, $($a:expr),*) => {{
            // By index: wasm3 0.5's lookup by name misses some exports.
            let f = module.function::<$args, $ret>(func).map_err(err)?;
            let t = Instant::now();
            let r = f.call($($a),*).map_err(err)?;
            let s = t.elapsed().as_secs_f64();
            Ok(($conv(r), s))
        }};
    }
    let a = |i: usize| args[i];
    use Ty::*;
    match (params, result) {
        ([I32, I32], I64) => go!((u32, u32), u64, |r: u64| r, a(0) as u32, a(1) as u32),
        ([I32, I64], I64) => go!((u32, u64), u64, |r: u64| r, a(0) as u32, a(1)),
        ([I32], I64) => go!(u32, u64, |r: u64| r, a(0) as u32),
        ([I32, I32], I32) => go!((u32, u32), u32, |r: u32| r as u64, a(0) as u32, a(1) as u32),
        ([I32], I32) => go!(u32, u32, |r: u32| r as u64, a(0) as u32),
        ([I32], F64) => go!(u32, f64, |r: f64| r.to_bits(), a(0) as u32),
        ([I32, I32], F64) => go!(
            (u32, u32),
            f64,
            |r: f64| r.to_bits(),
            a(0) as u32,
            a(1) as u32
        ),
        _ => Err(format!(
            "signature {params:?} -> {result:?} not wired for wasm3"
        )),
    }
}

struct Host {
    calldata: Vec<u8>,
    halt: Halt,
    gas: u64,
}

fn mem(cc: &CallContext<'_>) -> &'static mut [u8] {
    // SAFETY: only used inside a host call, while the memory cannot move.
    unsafe { &mut *cc.memory_mut() }
}

fn range(ptr: u32, len: u32) -> std::ops::Range<usize> {
    ptr as usize..ptr as usize + len as usize
}

fn link(
    module: &mut wasm3::Module<'_>,
    imports: &[(String, String)],
    host: &Rc<RefCell<Host>>,
) -> Result<(), String> {
    for (m, f) in imports {
        if m != "ethereum" {
            return Err(format!("import {m}.{f} not provided"));
        }
        let h = host.clone();
        let r = match f.as_str() {
            "useGas" => module.link_closure("ethereum", "useGas", move |_cc, g: i64| {
                let mut h = h.borrow_mut();
                h.gas = h.gas.checked_sub(g as u64).ok_or(Trap::Abort)?;
                Ok(())
            }),
            "getGasLeft" => module.link_closure("ethereum", "getGasLeft", move |_cc, ()| {
                Ok(h.borrow().gas as i64)
            }),
            "getCallDataSize" => {
                module.link_closure("ethereum", "getCallDataSize", move |_cc, ()| {
                    Ok(h.borrow().calldata.len() as i32)
                })
            }
            "callDataCopy" => module.link_closure(
                "ethereum",
                "callDataCopy",
                move |cc, (res, off, len): (u32, u32, u32)| {
                    let h = h.borrow();
                    let src = h
                        .calldata
                        .get(range(off, len))
                        .ok_or(Trap::OutOfBoundsMemoryAccess)?;
                    mem(&cc)
                        .get_mut(range(res, len))
                        .ok_or(Trap::OutOfBoundsMemoryAccess)?
                        .copy_from_slice(src);
                    Ok(())
                },
            ),
            name @ ("finish" | "revert") => {
                let revert = name == "revert";
                module.link_closure("ethereum", name, move |cc, (ptr, len): (u32, u32)| {
                    let out = mem(&cc)
                        .get(range(ptr, len))
                        .ok_or(Trap::OutOfBoundsMemoryAccess)?
                        .to_vec();
                    h.borrow_mut().halt = if revert {
                        Halt::Revert(out)
                    } else {
                        Halt::Finish(out)
                    };
                    Err::<(), _>(Trap::Exit)
                })
            }
            other => return Err(format!("import ethereum.{other} not provided for wasm3")),
        };
        r.map_err(err)?;
    }
    Ok(())
}

pub fn run(work: &Work, reps: usize) -> Result<Measurement, String> {
    let env = Environment::new().map_err(err)?;
    let mut m = Measurement::default();
    match work {
        Work::Kernel {
            wasm,
            func,
            args,
            sig,
            ..
        } => {
            let index = crate::wasmmod::export_index(wasm, func)? as usize;
            for _ in 0..reps {
                let rt = Runtime::new(&env, STACK).map_err(err)?;
                let module = rt.parse_and_load_module(wasm.clone()).map_err(err)?;
                let (bits, secs) = call_kernel(&module, index, &sig.params, args, sig.results[0])?;
                m.times.push(secs);
                m.result = value_string(sig.results[0], bits);
            }
        }
        Work::Contract {
            code,
            calldata,
            gas,
            ..
        } => {
            let imports = crate::wasmmod::func_imports(code)?;
            for _ in 0..reps {
                let host = Rc::new(RefCell::new(Host {
                    calldata: calldata.clone(),
                    halt: Halt::Running,
                    gas: *gas as u64,
                }));
                let rt = Runtime::new(&env, STACK).map_err(err)?;
                let mut module = rt.parse_and_load_module(code.clone()).map_err(err)?;
                link(&mut module, &imports, &host)?;
                let main = module
                    .function::<(), ()>(crate::wasmmod::export_index(code, "main")? as usize)
                    .map_err(err)?;
                let t = Instant::now();
                let r = main.call();
                m.times.push(t.elapsed().as_secs_f64());
                let h = host.borrow();
                if let Err(e) = &r {
                    if h.halt == Halt::Running {
                        m.note = Some(format!("trap: {e}"));
                    }
                }
                // SAFETY: no call is running.
                let memory = unsafe { &*rt.memory() };
                m.result = contract_string(&h.halt, r.is_err(), memory);
                m.gas = Some(*gas as u64 - h.gas);
            }
        }
        Work::Startup { code, .. } => {
            let imports = crate::wasmmod::func_imports(code)?;
            for _ in 0..reps {
                let host = Rc::new(RefCell::new(Host {
                    calldata: vec![],
                    halt: Halt::Running,
                    gas: 0,
                }));
                let t = Instant::now();
                let rt = Runtime::new(&env, STACK).map_err(err)?;
                let mut module = rt.parse_and_load_module(code.clone()).map_err(err)?;
                link(&mut module, &imports, &host)?;
                m.times.push(t.elapsed().as_secs_f64());
                m.result = "instantiated".into();
            }
            m.note =
                Some("parse + load; wasm3 compiles each function lazily at its first call".into());
        }
    }
    Ok(m)
}
