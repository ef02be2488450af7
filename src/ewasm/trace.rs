//! A hook for tracing EEI calls (EIP-3155-style traces, `ewvm statetest --json`).
//!
//! A [`Vm`](super::Vm) built with [`Vm::with_tracer`](super::Vm::with_tracer) links every
//! `ethereum` host function through a wrapper that reports [`Tracer::enter`] before the
//! function runs and [`Tracer::exit`] after it returns. Nested messages started by `call` or
//! `create` report their own calls between the two, one depth further. Without a tracer the
//! functions are linked directly and cost nothing extra.

use std::fmt::Debug;

/// One EEI call about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EeiStep {
    /// Position of the function in the `ethereum` module's table (a stable opcode-like id).
    pub op: u8,
    /// The EEI name, e.g. `storageStore`.
    pub name: &'static str,
    /// Gas left before the call.
    pub gas: u64,
    /// Call depth of the executing frame (0 for the transaction's message).
    pub depth: u32,
}

/// Receives EEI calls as they happen (on the execution thread).
pub trait Tracer: Send + Sync + Debug {
    /// Called before an EEI function runs.
    fn enter(&self, step: &EeiStep);
    /// Called when it has returned: the gas left, and why it stopped the frame, if it did
    /// (`finish`, `revert` and `selfDestruct` stop it too).
    fn exit(&self, gas_left: u64, halt: Option<&str>);
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use primitive_types::H160;

    use super::*;
    use crate::ewasm::{execute_message, Env, Message, Settings, Vm};
    use crate::state::{Account, WorldState};

    /// Records events as text.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Tracer for Recorder {
        fn enter(&self, step: &EeiStep) {
            let line = format!(
                "enter {} {} {} {}",
                step.op, step.name, step.gas, step.depth
            );
            self.0.lock().unwrap().push(line);
        }
        fn exit(&self, gas_left: u64, halt: Option<&str>) {
            let line = format!("exit {gas_left} {}", halt.unwrap_or("-"));
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn every_eei_call_is_reported_with_gas_before_and_after() {
        let code = wat::parse_str(
            r#"(module
            (import "ethereum" "storageStore" (func $store (param i32 i32)))
            (import "ethereum" "finish" (func $finish (param i32 i32)))
            (memory 1) (export "memory" (memory 0))
            (data (i32.const 63) "\01")
            (func (export "main")
                (call $store (i32.const 0) (i32.const 32))
                (call $finish (i32.const 0) (i32.const 0))))"#,
        )
        .unwrap();
        let contract = H160::repeat_byte(0xc0);
        let mut state = WorldState::new();
        let account = Account {
            code: code.into(),
            ..Account::default()
        };
        state.insert_account(contract, account);
        let recorder = Arc::new(Recorder::default());
        let vm = Vm::with_tracer(Settings::default(), recorder.clone());
        let msg = Message::call(H160::repeat_byte(0xaa), contract, vec![], 100_000);
        let result = execute_message(&vm, &mut state, &Env::default(), &msg);
        assert!(result.is_success());
        let events = recorder.0.lock().unwrap().clone();
        assert_eq!(
            events,
            [
                "enter 11 storageStore 100000 0",
                "exit 80000 -",
                "enter 27 finish 80000 0",
                "exit 80000 finish",
            ]
        );
    }
}
