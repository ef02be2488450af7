//! The VM instance and the C entry points: `evmc_create_ewvm`, `destroy`, `execute`,
//! `get_capabilities` and `set_option`.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, PoisonError, RwLock};

use evmc_sys as ffi;

use super::convert::{message_in, result_out, status_only, MessageError};
use super::host::{EvmcHost, MissingCallback};
use super::options::{Evm1Mode, OptionError, Options};
use crate::ewasm::validate::check_preamble;
use crate::ewasm::{ContractError, ExecutionResult, Vm};

/// The VM name reported to hosts.
pub const NAME: &CStr = c"ewvm";

/// The VM version reported to hosts (the crate version).
pub const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the crate version contains a NUL byte"),
    };

/// The EVMC ABI version implemented (9, that of the `evmc-sys` crate).
pub const ABI_VERSION: i32 = ffi::EVMC_ABI_VERSION as i32;

/// A VM instance: the `evmc_vm` a host sees, followed by ewvm's own state.
#[repr(C)]
struct Instance {
    /// What the host sees; first, so a `*mut evmc_vm` is a `*mut Instance`.
    base: ffi::evmc_vm,
    /// The options and the VM built for them (rebuilt when they change, so that the
    /// per-code-hash cache matches the metering setting).
    state: RwLock<(Options, Arc<Vm>)>,
}

impl Instance {
    /// The options and the VM now.
    fn current(&self) -> (Options, Arc<Vm>) {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        (state.0, Arc::clone(&state.1))
    }

    /// Sets one option, rebuilding the VM if its settings change.
    fn set_option(&self, name: &str, value: Option<&str>) -> Result<(), OptionError> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let old = state.0.settings;
        state.0.set(name, value)?;
        if state.0.settings != old {
            state.1 = Arc::new(Vm::new(state.0.settings));
        }
        Ok(())
    }
}

/// Creates an ewvm instance (the EVMC entry point a loader finds for `libewvm.so`): ABI 9,
/// capability `ewasm`, metering off. Free it with its `destroy`.
#[no_mangle]
pub extern "C" fn evmc_create_ewvm() -> *mut ffi::evmc_vm {
    let options = Options::default();
    let instance = Box::new(Instance {
        base: ffi::evmc_vm {
            abi_version: ABI_VERSION,
            name: NAME.as_ptr(),
            version: VERSION.as_ptr(),
            destroy: Some(destroy),
            execute: Some(execute),
            get_capabilities: Some(get_capabilities),
            set_option: Some(set_option),
        },
        state: RwLock::new((options, Arc::new(Vm::new(options.settings)))),
    });
    Box::into_raw(instance).cast()
}

/// The instance behind `vm`.
///
/// # Safety
/// `vm` is null or was returned by [`evmc_create_ewvm`] and not destroyed.
unsafe fn instance<'a>(vm: *mut ffi::evmc_vm) -> Option<&'a Instance> {
    // SAFETY: per the contract, a non-null `vm` is the first field of a live `Instance`.
    unsafe { vm.cast::<Instance>().as_ref() }
}

/// `evmc_vm::destroy`.
extern "C" fn destroy(vm: *mut ffi::evmc_vm) {
    if !vm.is_null() {
        // SAFETY: EVMC: `vm` came from `evmc_create_ewvm` and is destroyed once, when no
        // `execute` runs.
        drop(unsafe { Box::from_raw(vm.cast::<Instance>()) });
    }
}

/// `evmc_vm::get_capabilities`: Ewasm only.
extern "C" fn get_capabilities(_vm: *mut ffi::evmc_vm) -> ffi::evmc_capabilities_flagset {
    ffi::evmc_capabilities::EVMC_CAPABILITY_EWASM as ffi::evmc_capabilities_flagset
}

/// `evmc_vm::set_option`; see [`Options`](super::Options) for names and values.
extern "C" fn set_option(
    vm: *mut ffi::evmc_vm,
    name: *const c_char,
    value: *const c_char,
) -> ffi::evmc_set_option_result {
    // SAFETY: EVMC: `vm` is a live instance and non-null strings are NUL-terminated.
    let text = |ptr: *const c_char| unsafe { ptr.as_ref() }.map(|p| unsafe { CStr::from_ptr(p) });
    let name = text(name).and_then(|n| n.to_str().ok()).unwrap_or_default();
    let value = text(value).and_then(|v| v.to_str().ok());
    let outcome = catch_unwind(AssertUnwindSafe(|| match unsafe { instance(vm) } {
        Some(instance) => instance.set_option(name, value),
        None => Err(OptionError::InvalidName(name.to_owned())),
    }));
    match outcome {
        Ok(Ok(())) => ffi::evmc_set_option_result::EVMC_SET_OPTION_SUCCESS,
        Ok(Err(e)) => e.result_code(),
        Err(_panic) => ffi::evmc_set_option_result::EVMC_SET_OPTION_INVALID_VALUE,
    }
}

/// Why `execute` did not run the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    /// The instance or the message pointer is null, or the code pointer is null with a size.
    #[error("null {0}")]
    Null(&'static str),
    /// The host passed no host interface.
    #[error("no host interface")]
    NoHost,
    /// The host interface lacks a callback.
    #[error(transparent)]
    MissingCallback(#[from] MissingCallback),
    /// The message is malformed.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The code is not Wasm and `evm1mode` is `fallback`.
    #[error("not Wasm code")]
    NotWasm,
    /// ewvm panicked (a bug; caught at the C boundary).
    #[error("panic")]
    Panic,
}

impl Refusal {
    /// The status reported for this refusal.
    fn status(&self) -> ffi::evmc_status_code {
        match self {
            Refusal::NotWasm => ffi::evmc_status_code::EVMC_REJECTED,
            _ => ffi::evmc_status_code::EVMC_INTERNAL_ERROR,
        }
    }
}

/// `evmc_vm::execute`: any revision is accepted (ewvm has one gas schedule, Hera's
/// Byzantium one). Panics are caught and reported as `EVMC_INTERNAL_ERROR`.
extern "C" fn execute(
    vm: *mut ffi::evmc_vm,
    host: *const ffi::evmc_host_interface,
    context: *mut ffi::evmc_host_context,
    _revision: ffi::evmc_revision,
    msg: *const ffi::evmc_message,
    code: *const u8,
    code_size: usize,
) -> ffi::evmc_result {
    // SAFETY: EVMC's contract for `execute`: a live instance, a message, `code_size` bytes of
    // code, and a host interface whose callbacks may be used with `context` until we return.
    let outcome = catch_unwind(AssertUnwindSafe(|| unsafe {
        run(vm, host, context, msg, code, code_size)
    }));
    match outcome.unwrap_or(Err(Refusal::Panic)) {
        Ok(result) => result_out(result),
        Err(refusal) => status_only(refusal.status()),
    }
}

/// [`execute`] without the panic guard.
///
/// # Safety
/// As for `evmc_vm::execute`.
unsafe fn run(
    vm: *mut ffi::evmc_vm,
    host: *const ffi::evmc_host_interface,
    context: *mut ffi::evmc_host_context,
    msg: *const ffi::evmc_message,
    code: *const u8,
    code_size: usize,
) -> Result<ExecutionResult, Refusal> {
    let instance = unsafe { instance(vm) }.ok_or(Refusal::Null("instance"))?;
    let msg = unsafe { msg.as_ref() }.ok_or(Refusal::Null("message"))?;
    let code: &[u8] = match (code.is_null(), code_size) {
        (_, 0) => &[],
        (true, _) => return Err(Refusal::Null("code")),
        (false, size) => unsafe { std::slice::from_raw_parts(code, size) },
    };
    let (options, vm) = instance.current();
    if check_preamble(code) == Err(ContractError::NotWasm) {
        return match options.evm1mode {
            Evm1Mode::Reject => Ok(ExecutionResult::failure(ContractError::NotWasm.into())),
            Evm1Mode::Fallback => Err(Refusal::NotWasm),
        };
    }
    let host = unsafe { host.as_ref() }.ok_or(Refusal::NoHost)?;
    let mut host = unsafe { EvmcHost::new(host, context) }?;
    let message = unsafe { message_in(msg) }?;
    Ok(vm.execute(&mut host, &message, code))
}

/// `Vm` is shared between the threads a host may execute on.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Vm>();
};
