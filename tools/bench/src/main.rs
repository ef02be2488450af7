//! ewvm benchmark harness: ewvm (unmetered and metered) against wasmi 2.0, wasm3, wabt and V8 on
//! the C kernels of `tools/kernels`, the Ewasm benchmark contracts, and start-up.
//!
//!     cargo run --release --manifest-path tools/bench/Cargo.toml -- [--quick] [--filter X]
//!         [--engines ewvm,wasmi,...] [--reps N] [--wabt-reps N] [--out DIR]

mod common;
mod report;
mod run_ewvm;
mod run_v8;
mod run_wabt;
mod run_wasm3;
mod run_wasmi;
mod wasmmod;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{median, Sig, Work, Workload};

/// Times and result of one engine on one workload.
#[derive(Debug, Default, Clone)]
pub struct Measurement {
    /// Seconds per repetition.
    pub times: Vec<f64>,
    /// Canonical result (must equal ewvm's).
    pub result: String,
    pub note: Option<String>,
    pub gas: Option<u64>,
}

pub const ENGINES: [&str; 6] = ["ewvm", "ewvm-metered", "wasmi", "wasm3", "wabt", "v8"];

/// The rounds in which the in-process engines take their repetitions of a workload, one engine
/// after the other in each, so that a change in the machine's load during the run falls on all
/// of them alike.
pub const ROUNDS: usize = 5;
/// The engines that run in this process (the others run all their repetitions in the first
/// round).
const IN_PROCESS: [&str; 4] = ["ewvm", "ewvm-metered", "wasmi", "wasm3"];

/// The least number of start-up repetitions per engine (unless `--quick`): start-up takes
/// milliseconds, so more repetitions cost little and steady its median.
const STARTUP_REPS: usize = 31;

/// (module, export, args) at the benchmark sizes of tools/README.md.
const KERNELS: [(&str, &str, &[u64]); 11] = [
    ("keccak", "keccak256_chain", &[1024, 5000]),
    ("sha256", "sha256_chain", &[1024, 4000]),
    ("mulmod", "mulmod256_chain", &[10000, 1]),
    ("mulmod", "bn128_mont_chain", &[200000, 1]),
    ("calls", "fib", &[35]),
    ("calls", "recurse_loop", &[1000, 10000]),
    ("memory", "sieve", &[1000000, 10]),
    ("memory", "matmul", &[128, 12]),
    ("bulk", "bulk", &[65536, 1000000]),
    ("float", "mandelbrot", &[512, 128]),
    ("float", "nbody", &[400000]),
];

struct Options {
    quick: bool,
    filter: Vec<String>,
    engines: Vec<String>,
    reps: usize,
    wabt_reps: usize,
    startup_reps: usize,
    out: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        quick: false,
        filter: vec![],
        engines: ENGINES.iter().map(|s| s.to_string()).collect(),
        reps: 0,
        wabt_reps: 0,
        startup_reps: 0,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--quick" => o.quick = true,
            "--filter" => o.filter.push(val()),
            "--engines" => o.engines = val().split(',').map(str::to_string).collect(),
            "--reps" => o.reps = val().parse().expect("--reps N"),
            "--wabt-reps" => o.wabt_reps = val().parse().expect("--wabt-reps N"),
            "--out" => o.out = PathBuf::from(val()),
            "-h" | "--help" => {
                eprintln!("usage: ewvm-bench [--quick] [--filter SUBSTRING]... [--engines {}] [--reps N] [--wabt-reps N] [--out DIR]", ENGINES.join(","));
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    if o.reps == 0 {
        o.reps = if o.quick { 1 } else { 5 };
    }
    if o.wabt_reps == 0 {
        o.wabt_reps = if o.quick { 1 } else { 3 };
    }
    o.startup_reps = if o.quick {
        o.reps
    } else {
        o.reps.max(STARTUP_REPS)
    };
    o
}

fn workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for (module, func, args) in KERNELS {
        let path = common::kernels_dir().join(format!("{module}.wasm"));
        let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let sig: Sig = wasmmod::export_sig(&wasm, func).unwrap();
        let floats = run_ewvm::needs_floats(&wasm);
        out.push(Workload {
            name: func.to_string(),
            what: format!(
                "{module}.wasm `{func}({})`",
                args.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            work: Work::Kernel {
                wasm,
                func: func.to_string(),
                args: args.to_vec(),
                sig,
                floats,
            },
        });
    }
    let dir = common::bench_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    if files.is_empty() {
        eprintln!(
            "no Ewasm benchmark contracts in {} (set EWVM_ETHEREUM_TESTS)",
            dir.display()
        );
    }
    let mut largest: Option<(String, Vec<u8>)> = None;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (_, test) = json.as_object().unwrap().iter().next().unwrap();
        let tx = &test["transaction"];
        let to = tx["to"].as_str().unwrap().to_lowercase();
        let code_hex = test["pre"][&to]["code"].as_str().unwrap();
        let code = hex::decode(code_hex.trim_start_matches("0x")).unwrap();
        let calldata =
            hex::decode(tx["data"][0].as_str().unwrap().trim_start_matches("0x")).unwrap();
        let gas = i64::from_str_radix(
            tx["gasLimit"][0].as_str().unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let name = stem.trim_start_matches("bench").to_string();
        let name = name[..1].to_lowercase() + &name[1..];
        let floats = run_ewvm::needs_floats(&code);
        if largest.as_ref().is_none_or(|(_, c)| c.len() < code.len()) {
            largest = Some((stem.clone(), code.clone()));
        }
        out.push(Workload {
            name,
            what: format!(
                "`{stem}.json` ({} KB code, {} B call data)",
                code.len() / 1000,
                calldata.len()
            ),
            work: Work::Contract {
                code,
                calldata,
                gas,
                floats,
            },
        });
    }
    if let Some((stem, code)) = largest {
        let floats = run_ewvm::needs_floats(&code);
        out.push(Workload {
            name: "startup".into(),
            what: format!("compile + instantiate `{stem}` ({} KB)", code.len() / 1000),
            work: Work::Startup { code, floats },
        });
    }
    out
}

/// `n` repetitions of workload `w` on `engine` (`wabt` and `v8`: whether they are installed).
fn run_engine(
    engine: &str,
    w: &Workload,
    n: usize,
    o: &Options,
    wabt: bool,
    v8: bool,
) -> Result<Measurement, String> {
    match engine {
        "ewvm" => run_ewvm::run(&w.work, n, false),
        "ewvm-metered" => run_ewvm::run(&w.work, n, true),
        "wasmi" => run_wasmi::run(&w.work, n),
        "wasm3" => run_wasm3::run(&w.work, n),
        "wabt" if !wabt => Err("wasm-interp not on PATH".into()),
        "wabt" => run_wabt::run(&w.work, &w.name, o.wabt_reps),
        "v8" if !v8 => Err("node not on PATH".into()),
        "v8" => run_v8::run(&w.work, &w.name, n),
        _ => unreachable!(),
    }
}

/// The measurement of rounds `0..=round` from that of the rounds before (`so_far`) and this
/// one's: the times together, the first round's result, note and gas; an error if any round
/// failed or computed another result.
fn add_round(
    so_far: Result<Measurement, String>,
    this: Result<Measurement, String>,
    round: usize,
) -> Result<Measurement, String> {
    match (so_far, this) {
        (Ok(first), Ok(m)) if round > 0 && m.result != first.result => Err(format!(
            "WRONG RESULT {} in round {} (first round: {})",
            m.result,
            round + 1,
            first.result
        )),
        (Ok(mut all), Ok(m)) if round > 0 => {
            all.times.extend(m.times);
            Ok(all)
        }
        (_, this) => this,
    }
}

fn main() {
    let o = options();
    let mut all = workloads();
    if !o.filter.is_empty() {
        all.retain(|w| {
            o.filter
                .iter()
                .any(|f| w.name.contains(f.as_str()) || w.what.contains(f.as_str()))
        });
    }
    let wabt = run_wabt::available();
    let v8 = run_v8::available();
    let mut results: BTreeMap<(String, String), Result<Measurement, String>> = BTreeMap::new();
    let mut eei: BTreeMap<(String, String), Result<Measurement, String>> = BTreeMap::new();
    let mut errors = 0;
    for w in &all {
        let mut reference: Option<String> = None;
        let reps = if w.is_startup() {
            o.startup_reps
        } else {
            o.reps
        };
        let mut measured: Vec<(&str, Result<Measurement, String>)> = ENGINES
            .into_iter()
            .filter(|engine| o.engines.iter().any(|e| e == engine))
            .map(|engine| (engine, Ok(Measurement::default())))
            .collect();
        for round in 0..ROUNDS {
            for (engine, slot) in &mut measured {
                let n = if IN_PROCESS.contains(engine) {
                    reps / ROUNDS + usize::from(round < reps % ROUNDS)
                } else if round == 0 {
                    reps
                } else {
                    0
                };
                if n == 0 || slot.is_err() {
                    continue;
                }
                let r = run_engine(engine, w, n, &o, wabt, v8);
                *slot = add_round(
                    std::mem::replace(slot, Ok(Measurement::default())),
                    r,
                    round,
                );
            }
        }
        for (engine, r) in measured {
            eprint!("{:<28} {:<13} ", w.name, engine);
            let r = r.and_then(|m| {
                if engine == "ewvm" || reference.is_none() {
                    reference.get_or_insert(m.result.clone());
                }
                match &reference {
                    Some(want) if *want != m.result => Err(format!(
                        "WRONG RESULT {} (ewvm: {want}){}",
                        m.result,
                        m.note
                            .as_ref()
                            .map(|n| format!("; {n}"))
                            .unwrap_or_default()
                    )),
                    _ => Ok(m),
                }
            });
            match &r {
                Ok(m) => eprintln!(
                    "{:>10.2} ms  {}{}",
                    median(&m.times) * 1e3,
                    m.result,
                    m.note
                        .as_ref()
                        .map(|n| format!("  ({n})"))
                        .unwrap_or_default()
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    if e.starts_with("WRONG") {
                        errors += 1;
                    }
                }
            }
            results.insert((w.name.clone(), engine.to_string()), r);
        }
        if matches!(w.work, Work::Contract { .. })
            && o.engines.iter().any(|e| e.starts_with("ewvm"))
        {
            use ewvm::ewasm::Metering;
            for (label, metering) in [("eei", Metering::Off), ("eei-metered", Metering::Injected)] {
                eprint!("{:<28} {:<13} ", w.name, label);
                let r = run_ewvm::run_eei(&w.work, o.reps, metering).and_then(|m| {
                    // The EEI returns `finish` output only: a `main` that returns is a success
                    // with empty output.
                    let want = match reference.as_deref() {
                        Some(s) if s.starts_with("return:") => {
                            format!("finish:{:08x}", common::fnv_bytes(&[]))
                        }
                        Some(s) => s.to_string(),
                        None => m.result.clone(),
                    };
                    if want == m.result {
                        Ok(m)
                    } else {
                        Err(format!(
                            "WRONG RESULT {} (ewvm stub host: {want})",
                            m.result
                        ))
                    }
                });
                match &r {
                    Ok(m) => eprintln!("{:>10.2} ms  {}", median(&m.times) * 1e3, m.result),
                    Err(e) => eprintln!("error: {e}"),
                }
                eei.insert((w.name.clone(), label.to_string()), r);
            }
        }
    }
    let machine = report::machine();
    let md = report::markdown(&all, &results, &eei, &o, &machine);
    let svg = report::svg(&all, &results);
    std::fs::create_dir_all(&o.out).unwrap();
    std::fs::write(o.out.join("latest.md"), &md).unwrap();
    std::fs::write(o.out.join("latest.svg"), &svg).unwrap();
    std::fs::write(
        o.out.join("latest.json"),
        report::json(&all, &results, &eei, &machine),
    )
    .unwrap();
    println!("{md}");
    eprintln!("wrote {}/latest.{{md,svg,json}}", o.out.display());
    if errors > 0 {
        eprintln!("{errors} engine(s) computed a different result than ewvm");
        std::process::exit(1);
    }
}
