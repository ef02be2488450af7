//! V8 through node (`driver.cjs`): the JIT reference. Timed inside JS around the call.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use crate::common::Work;
use crate::Measurement;

fn dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/v8");
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn node() -> String {
    std::env::var("NODE").unwrap_or_else(|_| "node".into())
}

pub fn available() -> bool {
    Command::new(node()).arg("--version").output().is_ok()
}

pub fn run(work: &Work, name: &str, reps: usize) -> Result<Measurement, String> {
    let wasm_path = dir().join(format!("{name}.wasm"));
    let job = match work {
        Work::Kernel {
            wasm,
            func,
            args,
            sig,
            ..
        } => {
            std::fs::write(&wasm_path, wasm).map_err(|e| e.to_string())?;
            let args: Vec<_> = sig
                .params
                .iter()
                .zip(args)
                .map(|(t, a)| {
                    let v = match t {
                        crate::common::Ty::I32 => (*a as u32 as i32).to_string(),
                        crate::common::Ty::I64 => (*a as i64).to_string(),
                        crate::common::Ty::F32 => f32::from_bits(*a as u32).to_string(),
                        crate::common::Ty::F64 => f64::from_bits(*a).to_string(),
                    };
                    json!([t.name(), v])
                })
                .collect();
            json!({"mode": "kernel", "wasm": wasm_path, "func": func, "args": args,
                   "result": sig.results[0].name(), "reps": reps})
        }
        Work::Contract {
            code,
            calldata,
            gas,
            ..
        } => {
            std::fs::write(&wasm_path, code).map_err(|e| e.to_string())?;
            json!({"mode": "contract", "wasm": wasm_path, "calldata": hex::encode(calldata),
                   "gas": gas.to_string(), "reps": reps})
        }
        Work::Startup { code, .. } => {
            std::fs::write(&wasm_path, code).map_err(|e| e.to_string())?;
            json!({"mode": "startup", "wasm": wasm_path, "reps": reps})
        }
    };
    let job_path = dir().join(format!("{name}.json"));
    std::fs::write(&job_path, job.to_string()).map_err(|e| e.to_string())?;
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("driver.cjs");
    let out = Command::new(node())
        .arg("--stack-size=8192")
        .arg(driver)
        .arg(&job_path)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("driver output: {e}"))?;
    let mut m = Measurement {
        times: v["times"]
            .as_array()
            .ok_or("no times")?
            .iter()
            .filter_map(|t| t.as_f64())
            .collect(),
        result: v["result"].as_str().unwrap_or("").to_string(),
        ..Measurement::default()
    };
    if let Work::Startup { .. } = work {
        m.note = Some("new WebAssembly.Module + Instance (Liftoff)".into());
    }
    Ok(m)
}
