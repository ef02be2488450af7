//! ewvm in process: unmetered, metered (injected + fused), and Ewasm contracts through the EEI.

use std::time::Instant;

use ewvm::ewasm::{execute_message, Env, Message, Metering, Settings, Status, Vm};
use ewvm::metering::{self, PermissiveRules};
use ewvm::state::{Account, WorldState};
use ewvm::wasm::{Caller, Engine, HostModule, Instance, Linker, Module, Store, Trap, Val};
use primitive_types::H160;

use crate::common::{contract_string, value_string, Halt, Ty, Work};
use crate::Measurement;

/// Stack-height limit of the metered runs, in value slots. The limiter's code is the same as with
/// the `ewasm` default (1024), whose limit `recurse_loop` (1007 calls deep) would exceed.
pub const STACK_LIMIT: u32 = 1 << 20;

/// The metering configuration: the `ewasm` defaults (sentinel costs, stack limiter, an already
/// metered contract passes unchanged) with a limit of [`STACK_LIMIT`] slots, and floats
/// allowed for float code.
pub fn metering_config(floats: bool) -> metering::Config {
    let config = metering::Config::default()
        .allow_metered(true)
        .stack_limit(Some(STACK_LIMIT));
    if floats {
        config.rules(PermissiveRules)
    } else {
        config
    }
}

/// Whether the module needs float rules (ewasm rules reject it, permissive rules accept it).
pub fn needs_floats(wasm: &[u8]) -> bool {
    let strict = metering::Config::default().allow_metered(true);
    metering::instrument(wasm, &strict).is_err()
        && metering::instrument(wasm, &metering_config(true)).is_ok()
}

fn compile(engine: &Engine, wasm: &[u8], metered: bool, floats: bool) -> Result<Module, String> {
    if metered {
        // Metering and compiling with the charges fused, the metered bodies not validated again.
        let compiled =
            metering::compile(engine, wasm, &metering_config(floats)).map_err(|e| e.to_string())?;
        Ok(compiled.module)
    } else {
        Module::new(engine, wasm).map_err(|e| e.to_string())
    }
}

fn val(ty: Ty, bits: u64) -> Val {
    match ty {
        Ty::I32 => Val::I32(bits as u32 as i32),
        Ty::I64 => Val::I64(bits as i64),
        Ty::F32 => Val::F32(bits as u32),
        Ty::F64 => Val::F64(bits),
    }
}

fn bits(v: &Val) -> u64 {
    match *v {
        Val::I32(x) => x as u32 as u64,
        Val::I64(x) => x as u64,
        Val::F32(x) => x as u64,
        Val::F64(x) => x,
        _ => 0,
    }
}

/// The minimal `ethereum` host shared in spirit by all engines.
#[derive(Default)]
pub struct Host {
    calldata: Vec<u8>,
    halt: Halt,
    storage: std::collections::HashMap<[u8; 32], [u8; 32]>,
}

#[derive(Debug)]
struct Halted;
impl std::fmt::Display for Halted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("halted")
    }
}
impl std::error::Error for Halted {}

fn oob() -> Trap {
    Trap::host(std::io::Error::other("host memory access out of bounds"))
}

fn slice(mem: &[u8], ptr: i32, len: usize) -> Result<&[u8], Trap> {
    let p = ptr as u32 as usize;
    mem.get(p..p.checked_add(len).ok_or_else(oob)?)
        .ok_or_else(oob)
}

/// `module` instantiated in `store` with the minimal `ethereum` host granted.
fn instantiate(store: &mut Store<Host>, module: &Module) -> Result<Instance, String> {
    let mut linker = Linker::new();
    linker.grant(stub_host()).map_err(|e| e.to_string())?;
    linker.instantiate(store, module).map_err(|e| e.to_string())
}

fn stub_host() -> HostModule<Host> {
    let mut m = HostModule::new("ethereum");
    m.func_wrap("useGas", |mut c: Caller<'_, Host>, gas: i64| {
        c.consume_gas(gas as u64)
    })
    .unwrap();
    m.func_wrap("getGasLeft", |c: Caller<'_, Host>| Ok(c.gas() as i64))
        .unwrap();
    m.func_wrap("getCallDataSize", |c: Caller<'_, Host>| {
        Ok(c.data().calldata.len() as i32)
    })
    .unwrap();
    m.func_wrap(
        "callDataCopy",
        |mut c: Caller<'_, Host>, res: i32, off: i32, len: i32| {
            let (host, mem) = c.data_and_memory_mut();
            let mem = mem.ok_or_else(oob)?;
            let src = slice(&host.calldata, off, len as u32 as usize)?;
            let r = res as u32 as usize;
            mem.get_mut(r..r + src.len())
                .ok_or_else(oob)?
                .copy_from_slice(src);
            Ok(())
        },
    )
    .unwrap();
    for (name, revert) in [("finish", false), ("revert", true)] {
        m.func_wrap(name, move |mut c: Caller<'_, Host>, ptr: i32, len: i32| {
            let out = slice(c.memory().ok_or_else(oob)?, ptr, len as u32 as usize)?.to_vec();
            c.data_mut().halt = if revert {
                Halt::Revert(out)
            } else {
                Halt::Finish(out)
            };
            Err::<(), _>(Trap::host(Halted))
        })
        .unwrap();
    }
    m.func_wrap("storageStore", |mut c: Caller<'_, Host>, k: i32, v: i32| {
        let mem = c.memory().ok_or_else(oob)?;
        let key: [u8; 32] = slice(mem, k, 32)?.try_into().unwrap();
        let value: [u8; 32] = slice(mem, v, 32)?.try_into().unwrap();
        c.data_mut().storage.insert(key, value);
        Ok(())
    })
    .unwrap();
    m.func_wrap("storageLoad", |mut c: Caller<'_, Host>, k: i32, r: i32| {
        let (host, mem) = c.data_and_memory_mut();
        let mem = mem.ok_or_else(oob)?;
        let key: [u8; 32] = slice(mem, k, 32)?.try_into().unwrap();
        let value = host.storage.get(&key).copied().unwrap_or([0; 32]);
        let r = r as u32 as usize;
        mem.get_mut(r..r + 32)
            .ok_or_else(oob)?
            .copy_from_slice(&value);
        Ok(())
    })
    .unwrap();
    m
}

/// Runs a kernel or a contract `reps` times on fresh instances, timing only the call.
pub fn run(work: &Work, reps: usize, metered: bool) -> Result<Measurement, String> {
    let engine = Engine::default();
    match work {
        Work::Kernel {
            wasm,
            func,
            args,
            sig,
            floats,
        } => {
            let module = compile(&engine, wasm, metered, *floats)?;
            let params: Vec<Val> = sig
                .params
                .iter()
                .zip(args)
                .map(|(t, a)| val(*t, *a))
                .collect();
            let mut m = Measurement::default();
            for _ in 0..reps {
                // Metered code imports `ethereum.useGas` (fused: never actually called).
                let mut store = Store::new(&engine, Host::default());
                let inst = instantiate(&mut store, &module)?;
                let f = inst.get_func(&store, func).ok_or("no export")?;
                let mut out = vec![Val::I32(0); sig.results.len()];
                let t = Instant::now();
                f.call(&mut store, &params, &mut out)
                    .map_err(|e| e.to_string())?;
                m.times.push(t.elapsed().as_secs_f64());
                m.result = value_string(sig.results[0], bits(&out[0]));
                m.gas = Some(u64::MAX - store.gas());
            }
            Ok(m)
        }
        Work::Contract {
            code,
            calldata,
            gas,
            floats,
        } => {
            let module = compile(&engine, code, metered, *floats)?;
            // Metered, the pairing contracts need more than the transaction's gas limit (about
            // 1 gas per instruction): measure speed with an unbounded limit, report gas used.
            let limit = if metered {
                i64::MAX as u64
            } else {
                *gas as u64
            };
            let mut m = Measurement::default();
            for _ in 0..reps {
                let host = Host {
                    calldata: calldata.clone(),
                    ..Host::default()
                };
                let mut store = Store::new(&engine, host);
                store.set_gas(limit);
                let inst = instantiate(&mut store, &module)?;
                let main = inst.get_func(&store, "main").ok_or("no main")?;
                let t = Instant::now();
                let r = main.call(&mut store, &[], &mut []);
                m.times.push(t.elapsed().as_secs_f64());
                let trapped = r.is_err();
                if let Err(e) = &r {
                    if store.data().halt == Halt::Running {
                        m.note = Some(format!("trap: {e}"));
                    }
                }
                let mem = inst.get_memory(&store, "memory").ok_or("no memory")?;
                m.result = contract_string(&store.data().halt, trapped, mem.data(&store));
                m.gas = Some(limit - store.gas());
            }
            Ok(m)
        }
        Work::Startup { code, floats } => {
            let start_up = || -> Result<Vec<f64>, String> {
                let mut times = Vec::new();
                for _ in 0..reps {
                    let t = Instant::now();
                    let module = compile(&engine, code, metered, *floats)?;
                    let mut store = Store::new(&engine, Host::default());
                    let inst = instantiate(&mut store, &module)?;
                    times.push(t.elapsed().as_secs_f64());
                    inst.get_func(&store, "main").ok_or("no main")?;
                }
                Ok(times)
            };
            // ewvm compiles large modules on all cores; the same on one thread, for comparison
            // with the peers (which compile on one).
            let one_thread = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|e| e.to_string())?;
            let single = one_thread.install(start_up)?;
            Ok(Measurement {
                times: start_up()?,
                result: "instantiated".into(),
                note: Some(format!(
                    "on one thread: {:.2} ms",
                    crate::common::median(&single) * 1e3
                )),
                gas: None,
            })
        }
    }
}

/// A contract through the real EEI (`execute_message` on a world state), `reps` times; the
/// compiled module is cached by the `Vm` after the first (untimed) run.
pub fn run_eei(work: &Work, reps: usize, metering: Metering) -> Result<Measurement, String> {
    let Work::Contract {
        code,
        calldata,
        gas,
        ..
    } = work
    else {
        return Err("not a contract".into());
    };
    // The pairing contracts export helper functions; the contract rules allow only `main` and
    // `memory`, so those exports are dropped (the code is unchanged).
    let code = crate::wasmmod::keep_exports(code, &["main", "memory"])?;
    let contract = H160::repeat_byte(0xb9);
    let sender = H160::repeat_byte(0xa9);
    let mut state = WorldState::new();
    state.insert_account(
        contract,
        Account {
            code: code.into(),
            ..Account::default()
        },
    );
    let vm = Vm::new(Settings {
        metering,
        ..Settings::default()
    });
    let env = Env::default();
    let msg = Message::call(sender, contract, calldata.clone(), *gas);
    let warm = execute_message(&vm, &mut state, &env, &msg);
    if let Some(f) = warm.failure_kind() {
        return Err(format!("EEI: {f}"));
    }
    let mut m = Measurement::default();
    for _ in 0..reps {
        let t = Instant::now();
        let r = execute_message(&vm, &mut state, &env, &msg);
        m.times.push(t.elapsed().as_secs_f64());
        let halt = match r.status {
            Status::Revert => Halt::Revert(r.output.clone()),
            _ => Halt::Finish(r.output.clone()),
        };
        m.result = contract_string(&halt, r.failure_kind().is_some(), &[]);
        m.gas = Some((*gas - r.gas_left) as u64);
    }
    Ok(m)
}
