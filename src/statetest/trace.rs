//! `--json`: an EIP-3155-style trace with one line per EEI call, built from the
//! [`Tracer`] hook of the EEI and rendered once the transaction is over.
//!
//! Lines are buffered so that a `call` or `create` line, whose cost is known only when it
//! returns, still comes before the lines of the frames it started. Fields: `pc` is 0 (the
//! interpreter does not expose the caller's code offset to host functions), `op` is the EEI
//! function's position in the `ethereum` module table and `opName` its name, `gas` is the gas
//! left before the call and `gasCost` what the call consumed (for `call` and `create`, the
//! forwarded gas the callee did not return), `stack` is empty, `depth` starts at 1, `refund`
//! is 0 (the refund counter lives in the state, not in the frame).

use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::ewasm::{EeiStep, Tracer};

/// One EEI call of the trace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceLine {
    pc: u64,
    op: u8,
    gas: String,
    gas_cost: String,
    mem_size: u64,
    stack: [u8; 0],
    depth: u32,
    refund: u64,
    op_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Steps recorded so far, and the indexes of those still running (innermost last).
#[derive(Debug, Default)]
struct Recorded {
    steps: Vec<(EeiStep, Option<u64>, Option<String>)>,
    open: Vec<usize>,
}

/// A [`Tracer`] collecting EIP-3155 lines for one transaction.
#[derive(Debug, Default)]
pub struct JsonTracer {
    recorded: Mutex<Recorded>,
}

/// Halts that end a frame normally: not errors in the trace.
const NORMAL_HALTS: [&str; 3] = ["finish", "revert", "selfDestruct"];

impl Tracer for JsonTracer {
    fn enter(&self, step: &EeiStep) {
        let mut r = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        let index = r.steps.len();
        r.open.push(index);
        r.steps.push((*step, None, None));
    }

    fn exit(&self, gas_left: u64, halt: Option<&str>) {
        let mut r = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(index) = r.open.pop() else { return };
        if let Some((step, cost, error)) = r.steps.get_mut(index) {
            *cost = Some(step.gas.saturating_sub(gas_left));
            *error = halt
                .filter(|h| !NORMAL_HALTS.contains(h))
                .map(str::to_string);
        }
    }
}

impl JsonTracer {
    /// The recorded lines, one JSON object per line, each ending in `\n`.
    pub fn render(&self) -> String {
        let r = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        for (step, cost, error) in &r.steps {
            let line = TraceLine {
                pc: 0,
                op: step.op,
                gas: format!("{:#x}", step.gas),
                gas_cost: format!("{:#x}", cost.unwrap_or(0)),
                mem_size: 0,
                stack: [],
                depth: step.depth + 1,
                refund: 0,
                op_name: step.name,
                error: error.clone(),
            };
            push_json(&mut out, &line);
        }
        out
    }
}

/// The end-of-transaction line: output, gas used, and the error if the transaction failed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryLine {
    /// Output of the message, `0x` hex.
    pub output: String,
    /// Gas used, `0x` hex.
    pub gas_used: String,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The line geth prints after each subtest.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRootLine {
    /// The post state root, `0x` hex.
    pub state_root: String,
}

/// Appends `value` as one JSON line.
pub fn push_json(out: &mut String, value: &impl Serialize) {
    // Serializing these plain structs cannot fail; an empty line would show if it did.
    out.push_str(&serde_json::to_string(value).unwrap_or_default());
    out.push('\n');
}
