//! The Ewasm VM: settings, the per-code-hash contract cache, and running one frame.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use primitive_types::H256;

use super::debug;
use super::eei::{self, Frame};
use super::host::{CallKind, Host, Message};
use super::outcome::{ExecutionResult, Failure, Halt};
use super::trace::Tracer;
use super::validate::{check_contract, check_preamble, ContractError, WASM_MAGIC};
use crate::metering;
use crate::state::keccak256;
use crate::wasm::{Config, Engine, Error, InstantiationError, Linker, Module, Store};

/// Whether Wasm instructions cost gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metering {
    /// Only EEI calls and `useGas` cost gas (how the Ewasm state tests were filled).
    #[default]
    Off,
    /// Code is rewritten by [`metering::inject`] (default `ewasm` rules and stack limit) at
    /// deployment, and when first seen in a state (code already importing `useGas` runs as is).
    /// Deployed code is stored metered; code from a pre-state stays as it is in the state
    /// (`codeCopy` sees it) and only its compiled, metered form is cached.
    Injected,
}

/// Where the `debug` host module prints, if it is granted at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DebugOutput {
    /// `debug` is not granted: a contract importing it fails validation, as on a live chain.
    #[default]
    Off,
    /// Granted; lines go to standard error.
    Stderr,
    /// Granted; lines are kept for [`Vm::take_debug_output`].
    Capture,
}

/// What the embedder chooses for a [`Vm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// Wasm instruction metering.
    pub metering: Metering,
    /// The `debug` module.
    pub debug: DebugOutput,
}

/// Runs Ewasm code for a [`Host`]. Contracts are validated (and, with injected metering,
/// metered) and compiled once per code hash; the cache lives as long as the `Vm`.
#[derive(Debug)]
pub struct Vm {
    engine: Engine,
    settings: Settings,
    cache: Mutex<HashMap<H256, Result<Module, ContractError>>>,
    debug_lines: Mutex<Vec<String>>,
    tracer: Option<Arc<dyn Tracer>>,
}

impl Vm {
    /// A VM with the interpreter's default limits and `settings`.
    pub fn new(settings: Settings) -> Self {
        Self {
            engine: Engine::new(Config::default()),
            settings,
            cache: Mutex::default(),
            debug_lines: Mutex::default(),
            tracer: None,
        }
    }

    /// A VM like [`Vm::new`] that reports every EEI call to `tracer`.
    pub fn with_tracer(settings: Settings, tracer: Arc<dyn Tracer>) -> Self {
        Self {
            tracer: Some(tracer),
            ..Self::new(settings)
        }
    }

    /// The tracer, if any.
    pub fn tracer(&self) -> Option<&dyn Tracer> {
        self.tracer.as_deref()
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Validates `code` as an Ewasm contract (cached per code hash).
    ///
    /// # Errors
    /// The first broken contract rule, or an error of the metering rewriter.
    pub fn validate(&self, code: &[u8]) -> Result<(), ContractError> {
        self.load(code).map(drop)
    }

    /// Executes `code` for `message` (EVMC `execute`): `code` is the stored code of
    /// `message.code_address`, or the init code of a creation. A successful creation returns
    /// the code to deploy (validated, and metered if metering is on) as its output; output that
    /// is not Wasm is passed through unchanged, as Hera does.
    ///
    /// Nested messages re-enter through [`Host::call`] on the same thread: run deep call
    /// chains on a thread with a large stack (as [`execute_message`](super::execute_message)
    /// does).
    pub fn execute(&self, host: &mut dyn Host, message: &Message, code: &[u8]) -> ExecutionResult {
        let module = match self.load(code) {
            Ok(module) => module,
            Err(e) => return ExecutionResult::failure(e.into()),
        };
        let mut store = Store::new(&self.engine, Frame::new(self, host, message, code));
        store.set_gas(u64::try_from(message.gas).unwrap_or(0));
        let halt = self.run_main(&mut store, &module);
        let gas_left = i64::try_from(store.gas()).unwrap_or(i64::MAX);
        match halt {
            Halt::Finish(output) if message.kind == CallKind::Create => {
                match self.deployable(output) {
                    Ok(code) => ExecutionResult::success(gas_left, code),
                    Err(e) => ExecutionResult::failure(e.into()),
                }
            }
            Halt::Finish(output) => ExecutionResult::success(gas_left, output),
            Halt::SelfDestruct => ExecutionResult::success(gas_left, Vec::new()),
            Halt::Revert(output) => ExecutionResult::revert(gas_left, output),
            Halt::Fail(failure) => ExecutionResult::failure(failure),
        }
    }

    /// Takes the lines printed by the `debug` module so far (with [`DebugOutput::Capture`]).
    pub fn take_debug_output(&self) -> Vec<String> {
        std::mem::take(
            &mut self
                .debug_lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Prints one line of `debug` output.
    pub(crate) fn debug_print(&self, line: String) {
        match self.settings.debug {
            DebugOutput::Off => {}
            DebugOutput::Stderr => eprintln!("{line}"),
            DebugOutput::Capture => self
                .debug_lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line),
        }
    }

    /// Links the granted host modules, instantiates `module` and runs `main`.
    fn run_main(&self, store: &mut Store<Frame<'_>>, module: &Module) -> Halt {
        let mut linker = Linker::new();
        let granted =
            eei::host_module(self.tracer.is_some()).and_then(|eei| linker.grant(eei).map(drop));
        let granted = match (granted, self.settings.debug) {
            (Ok(()), DebugOutput::Off) => Ok(()),
            (Ok(()), _) => debug::host_module().and_then(|debug| linker.grant(debug).map(drop)),
            (err, _) => err,
        };
        if let Err(e) = granted {
            return Halt::Fail(Failure::Internal(e.to_string()));
        }
        let instance = match linker.instantiate(store, module) {
            Ok(instance) => instance,
            Err(InstantiationError::Trap(trap)) => return Halt::from_run(Err(Error::Trap(trap))),
            Err(e) => return Halt::Fail(Failure::Internal(e.to_string())),
        };
        match instance.get_func(store, "main") {
            Some(main) => Halt::from_run(main.call(store, &[], &mut [])),
            None => Halt::Fail(ContractError::MissingMain.into()),
        }
    }

    /// The compiled module for `code`, from the cache or freshly prepared.
    fn load(&self, code: &[u8]) -> Result<Module, ContractError> {
        let hash = keccak256(code);
        if let Some(cached) = self.cache().get(&hash) {
            return cached.clone();
        }
        let prepared = self.prepare(code).map(|(_, module)| module);
        self.cache().insert(hash, prepared.clone());
        prepared
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<H256, Result<Module, ContractError>>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the preamble, meters if asked, checks the contract rules and compiles: the code as
    /// it runs, and its module.
    fn prepare<'c>(&self, code: &'c [u8]) -> Result<(Cow<'c, [u8]>, Module), ContractError> {
        check_preamble(code)?;
        // `useGas` charges the store's gas counter, so its constant-argument calls and the
        // injected helpers run fused: same gas and trap points, no host call.
        let (runnable, metered) = match self.settings.metering {
            Metering::Off => (Cow::Borrowed(code), None),
            Metering::Injected => {
                // Meters and compiles in one go (the metered bodies are not decoded again);
                // code that is already metered passes unchanged.
                let config = metering::Config::default().allow_metered(true);
                let compiled = metering::compile(&self.engine, code, &config)?;
                (
                    Cow::Owned(compiled.instrumented.bytes),
                    Some(compiled.module),
                )
            }
        };
        check_contract(&runnable, self.settings.debug != DebugOutput::Off)?;
        let module = match metered {
            Some(module) => module,
            None => {
                // (An unrecognisable module is invalid: compiling it reports why.)
                let fusion = metering::recognize(&runnable)
                    .map(|layout| layout.fusion())
                    .unwrap_or_default();
                Module::new_with_gas(&self.engine, &runnable, &fusion)?
            }
        };
        Ok((runnable, module))
    }

    /// The code to deploy from a constructor's `finish` output (contracts.md §4): output that
    /// starts with the Wasm magic must be a valid contract and is metered if metering is on
    /// (and compiled into the cache, as it will be called); other output is passed through.
    fn deployable(&self, output: Vec<u8>) -> Result<Vec<u8>, ContractError> {
        if !output.starts_with(&WASM_MAGIC) {
            return Ok(output);
        }
        let (deployed, module) = self.prepare(&output)?;
        let deployed = deployed.into_owned();
        self.cache().insert(keccak256(&deployed), Ok(module));
        Ok(deployed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_is_cached_per_code_hash() {
        let vm = Vm::new(Settings::default());
        let bad = b"\0asm\x02\0\0\0".to_vec();
        let good = wat::parse_str(
            r#"(module (memory 1) (export "memory" (memory 0)) (func (export "main")))"#,
        )
        .unwrap();
        for _ in 0..3 {
            assert_eq!(
                vm.validate(&bad),
                Err(ContractError::BadVersion([2, 0, 0, 0]))
            );
            assert_eq!(vm.validate(&good), Ok(()));
        }
        assert_eq!(vm.cache().len(), 2);
        assert!(vm.cache().contains_key(&keccak256(&good)));
    }
}
