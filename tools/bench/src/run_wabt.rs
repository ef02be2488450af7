//! wabt's `wasm-interp` (Debian package `wabt`) as a subprocess. It runs only parameterless
//! exports and has no host functions, so each workload runs in a rewritten module (see
//! [`crate::wasmmod`]). Timing is external: the median wall time of `wasm-interp
//! --run-all-exports` on the workload minus the median on a baseline module that parses,
//! validates and instantiates the same code but does no work.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::common::{median, value_string, Work};
use crate::wasmmod;
use crate::Measurement;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/wabt");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn interp(path: &PathBuf) -> Result<(f64, String), String> {
    let t = Instant::now();
    let out = Command::new("wasm-interp")
        .arg(path)
        .arg("--run-all-exports")
        .output()
        .map_err(|e| format!("wasm-interp: {e}"))?;
    let secs = t.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() && stdout.is_empty() {
        return Err(format!(
            "wasm-interp failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok((secs, stdout))
}

fn line<'a>(stdout: &'a str, export: &str) -> Result<&'a str, String> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{export}() =>")).map(str::trim))
        .ok_or_else(|| format!("unexpected wasm-interp output: {stdout}"))
}

fn number(value: &str) -> Result<u64, String> {
    let (_, n) = value.split_once(':').ok_or("no value")?;
    n.parse::<u64>()
        .or_else(|_| n.parse::<i64>().map(|x| x as u64))
        .map_err(|e| format!("{value}: {e}"))
}

pub fn available() -> bool {
    Command::new("wasm-interp")
        .arg("--version")
        .output()
        .is_ok()
}

pub fn run(work: &Work, name: &str, reps: usize) -> Result<Measurement, String> {
    let (module, baseline) = match work {
        Work::Kernel {
            wasm, func, args, ..
        } => (
            wasmmod::wabt_kernel(wasm, func, args, false)?,
            wasmmod::wabt_kernel(wasm, func, args, true)?,
        ),
        Work::Contract { code, calldata, .. } => (
            wasmmod::wabt_contract(code, calldata, false)?,
            wasmmod::wabt_contract(code, calldata, true)?,
        ),
        Work::Startup { .. } => return Err("not measured (no API; see the baseline note)".into()),
    };
    let path = tmp(&format!("{name}.wasm"));
    let base_path = tmp(&format!("{name}.baseline.wasm"));
    std::fs::write(&path, module).map_err(|e| e.to_string())?;
    std::fs::write(&base_path, baseline).map_err(|e| e.to_string())?;
    let mut m = Measurement::default();
    let mut base = Vec::new();
    let mut total = Vec::new();
    for _ in 0..reps {
        let (b, out) = interp(&base_path)?;
        line(&out, "run")?;
        base.push(b);
        let (secs, out) = interp(&path)?;
        total.push(secs);
        let run = line(&out, "run")?;
        m.result = match work {
            Work::Kernel { sig, .. } => {
                if let Some(e) = run.strip_prefix("error: ") {
                    return Err(format!("trap: {e}"));
                }
                value_string(sig.results[0], number(run)?)
            }
            _ => {
                let trapped = run.starts_with("error: ");
                let r = number(line(&out, "result")?)?;
                let (status, hash) = (r >> 32, r as u32);
                match status {
                    1 => format!("finish:{hash:08x}"),
                    2 => format!("revert:{hash:08x}"),
                    _ if trapped => {
                        m.note = Some(format!("trap: {run}"));
                        "trap".into()
                    }
                    _ => format!("return:mem={hash:08x}"),
                }
            }
        };
    }
    let b = median(&base);
    // Per repetition: the run minus the baseline median (start-up, parse, validate, instantiate).
    m.times = total.iter().map(|t| (t - b).max(0.0)).collect();
    m.note = Some(format!(
        "{}external time minus baseline {:.1} ms",
        m.note
            .as_ref()
            .map(|n| format!("{n}; "))
            .unwrap_or_default(),
        b * 1e3
    ));
    Ok(m)
}
