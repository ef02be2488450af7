//! Conformance test of `libewvm.so` as an EVMC VM (ABI 9), loaded with `libloading` the way an
//! EVMC host loads it.
//!
//! 1. What evmc-vmtester 9 checks: ABI version, name and version, capabilities, `execute` on
//!    non-Wasm code for a CALL and a CREATE (status, gas left 0 unless success or revert,
//!    output pointer null exactly when the size is 0, zero create address), `release`,
//!    `set_option`; plus the refusals of malformed calls.
//! 2. The example contracts of `contracts/` (and probes of every host callback) run through the
//!    library against a mock EVMC host written over `evmc-sys` types and backed by a
//!    [`WorldState`], compared with the in-memory path (`execute_message`): same status, gas,
//!    output, create address, accounts (storage, balances, nonces, code), logs and refund.
//!
//! The library is the `cdylib` built by the same `cargo test` invocation (in the `deps`
//! directory beside this test binary); if it is missing it is built with `cargo build --lib`.

#![cfg(feature = "evmc")]

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ewvm::evmc::{self, ffi};
use ewvm::ewasm::gas;
use ewvm::ewasm::{
    execute_message, CallKind, DebugOutput, Env, ExecutionResult, Failure, Message, Metering,
    Settings, StorageStatus, TxContext, Vm,
};
use ewvm::state::{create_address, Account, WorldState};
use libloading::Library;
use primitive_types::{H160, H256, U256};

use ffi::evmc_status_code as S;

const GAS: i64 = 1_000_000;
const SENDER: H160 = H160([0xaa; 20]);
const CONTRACT: H160 = H160([0xc0; 20]);
const OTHER: H160 = H160([0xc1; 20]);
const ORIGIN: H160 = H160([0x0a; 20]);
const REVISION: ffi::evmc_revision = ffi::evmc_revision::EVMC_MAX_REVISION;

// ----- Loading the library -----

/// `libewvm.so` as built for this test binary: the artifact in `<target>/<profile>/deps` (which
/// `cargo test` compiles with the test, as the lib's `cdylib` crate type, without copying it up),
/// else the one `cargo build` put in `<target>/<profile>`, else built now.
fn library_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps_dir = exe
        .parent()
        .expect("test binary in <target>/<profile>/deps");
    let profile_dir = deps_dir
        .parent()
        .expect("test binary in <target>/<profile>/deps");
    let candidates = [deps_dir.join("libewvm.so"), profile_dir.join("libewvm.so")];
    if let Some(found) = candidates.iter().find(|path| path.exists()) {
        return found.clone();
    }
    build_library(profile_dir);
    let path = profile_dir.join("libewvm.so");
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Builds the library into `profile_dir` with the profile of this test binary.
fn build_library(profile_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut command = Command::new(cargo);
    command
        .args(["build", "--lib", "--manifest-path"])
        .arg(manifest);
    if profile_dir.ends_with("release") {
        command.arg("--release");
    }
    if let Some(target_dir) = profile_dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    let status = command.status().expect("run cargo build --lib");
    assert!(status.success(), "cargo build --lib failed: {status}");
}

/// The loaded library and its create function.
struct Loaded {
    create: unsafe extern "C" fn() -> *mut ffi::evmc_vm,
    _library: Library,
}

/// The library, loaded once per test process.
fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let path = library_path();
        // SAFETY: loading our own library runs no initialisers beyond Rust's.
        let library = unsafe { Library::new(&path) }
            .unwrap_or_else(|e| panic!("load {}: {e}", path.display()));
        // SAFETY: the EVMC loader's naming rule; the signature is EVMC's create function.
        let create = unsafe {
            *library
                .get::<unsafe extern "C" fn() -> *mut ffi::evmc_vm>(b"evmc_create_ewvm\0")
                .expect("libewvm.so exports evmc_create_ewvm")
        };
        Loaded {
            create,
            _library: library,
        }
    })
}

/// A VM instance from the library, destroyed on drop.
struct VmHandle(*mut ffi::evmc_vm);

impl VmHandle {
    /// A new instance with default options.
    fn new() -> Self {
        // SAFETY: EVMC's create function takes nothing and returns an owned instance.
        let vm = unsafe { (loaded().create)() };
        assert!(!vm.is_null());
        Self(vm)
    }

    /// A new instance with the options matching `settings`.
    fn with_settings(settings: Settings) -> Self {
        let vm = Self::new();
        let metering = match settings.metering {
            Metering::Off => "false",
            Metering::Injected => "true",
        };
        let debug = match settings.debug {
            DebugOutput::Off => "false",
            DebugOutput::Stderr | DebugOutput::Capture => "true",
        };
        for (name, value) in [("metering", metering), ("debug", debug)] {
            let set = vm.set_option(name, Some(value));
            assert_eq!(set, ffi::evmc_set_option_result::EVMC_SET_OPTION_SUCCESS);
        }
        vm
    }

    /// The `evmc_vm` struct.
    fn base(&self) -> &ffi::evmc_vm {
        // SAFETY: live until drop.
        unsafe { &*self.0 }
    }

    /// `set_option(name, value)`; `None` passes a null value.
    fn set_option(&self, name: &str, value: Option<&str>) -> ffi::evmc_set_option_result {
        let set_option = self.base().set_option.expect("set_option is provided");
        let name = CString::new(name).unwrap();
        let value = value.map(|v| CString::new(v).unwrap());
        let value_ptr = value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
        // SAFETY: NUL-terminated strings (or null) and a live instance.
        unsafe { set_option(self.0, name.as_ptr(), value_ptr) }
    }

    /// Raw `execute`; the caller owns (and must release) the result.
    ///
    /// # Safety
    /// `host` and `context` as EVMC requires, or null.
    unsafe fn execute_raw(
        &self,
        host: *const ffi::evmc_host_interface,
        context: *mut ffi::evmc_host_context,
        msg: *const ffi::evmc_message,
        code: &[u8],
    ) -> ffi::evmc_result {
        let execute = self.base().execute.expect("execute is provided");
        unsafe {
            execute(
                self.0,
                host,
                context,
                REVISION,
                msg,
                code.as_ptr(),
                code.len(),
            )
        }
    }

    /// `execute` with `host` (null if `None`) and a null context, taken into an [`Outcome`].
    fn execute(
        &self,
        host: Option<&ffi::evmc_host_interface>,
        msg: &ffi::evmc_message,
        code: &[u8],
    ) -> Outcome {
        let host = host.map_or(std::ptr::null(), |h| h as *const _);
        // SAFETY: callbacks of the hosts used with a null context never run (the code is
        // refused before any host call), or the host is null.
        Outcome::from_vm(unsafe { self.execute_raw(host, std::ptr::null_mut(), msg, code) })
    }
}

impl Drop for VmHandle {
    fn drop(&mut self) {
        let destroy = self.base().destroy.expect("destroy is provided");
        // SAFETY: destroyed once; no execute is running.
        unsafe { destroy(self.0) }
    }
}

/// A result taken out of an `evmc_result` after checking EVMC's rules, then released.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: i32,
    gas_left: i64,
    output: Vec<u8>,
    create_address: H160,
}

impl Outcome {
    /// Checks the result rules, copies the result and releases it.
    #[track_caller]
    fn take(result: ffi::evmc_result) -> Self {
        assert_eq!(
            result.output_data.is_null(),
            result.output_size == 0,
            "output pointer is null exactly when the size is 0: {result:?}"
        );
        if !matches!(result.status_code, S::EVMC_SUCCESS | S::EVMC_REVERT) {
            assert_eq!(
                result.gas_left, 0,
                "no gas left on {:?}",
                result.status_code
            );
        }
        let output = match result.output_data.is_null() {
            true => Vec::new(),
            // SAFETY: `output_size` bytes at `output_data` until released.
            false => unsafe { std::slice::from_raw_parts(result.output_data, result.output_size) }
                .to_vec(),
        };
        if let Some(release) = result.release {
            // SAFETY: released once.
            unsafe { release(&result) };
        }
        Self {
            status: result.status_code as i32,
            gas_left: result.gas_left,
            output,
            create_address: H160(result.create_address.bytes),
        }
    }

    /// [`Outcome::take`] for a result made by ewvm, which always has a `release` function.
    #[track_caller]
    fn from_vm(result: ffi::evmc_result) -> Self {
        assert!(
            result.release.is_some(),
            "ewvm results have a release function"
        );
        Self::take(result)
    }

    /// The outcome the in-memory path's result corresponds to.
    fn of(result: &ExecutionResult) -> Self {
        Self {
            status: result.status_code(),
            gas_left: result.gas_left,
            output: result.output.clone(),
            create_address: result.create_address.unwrap_or_default(),
        }
    }
}

// ----- Conversions for the mock host -----

/// An `H160` as an EVMC address.
fn address(a: H160) -> ffi::evmc_address {
    ffi::evmc_address { bytes: a.0 }
}

/// An `H256` as an EVMC word.
fn word(w: H256) -> ffi::evmc_bytes32 {
    ffi::evmc_bytes32 { bytes: w.0 }
}

/// A `U256` as an EVMC big-endian integer.
fn uint(v: U256) -> ffi::evmc_uint256be {
    word(H256(v.to_big_endian()))
}

/// The `H160` behind an EVMC address pointer.
///
/// # Safety
/// `a` points to an address.
unsafe fn h160(a: *const ffi::evmc_address) -> H160 {
    H160(unsafe { *a }.bytes)
}

/// The `H256` behind an EVMC word pointer.
///
/// # Safety
/// `w` points to a word.
unsafe fn h256(w: *const ffi::evmc_bytes32) -> H256 {
    H256(unsafe { *w }.bytes)
}

/// `len` bytes at `data` (empty if null).
///
/// # Safety
/// `data` is null or points to `len` bytes.
unsafe fn bytes<'a>(data: *const u8, len: usize) -> &'a [u8] {
    match data.is_null() {
        true => &[],
        false => unsafe { std::slice::from_raw_parts(data, len) },
    }
}

/// The top-level EVMC message for an ewvm message (ABI 9: `destination` is the recipient of a
/// call, zero for a creation).
fn evmc_message(msg: &Message) -> ffi::evmc_message {
    let (kind, destination) = match msg.kind {
        CallKind::Call => (ffi::evmc_call_kind::EVMC_CALL, msg.recipient),
        CallKind::CallCode => (ffi::evmc_call_kind::EVMC_CALLCODE, msg.code_address),
        CallKind::DelegateCall => (ffi::evmc_call_kind::EVMC_DELEGATECALL, msg.code_address),
        CallKind::Create => (ffi::evmc_call_kind::EVMC_CREATE, H160::zero()),
    };
    ffi::evmc_message {
        kind,
        flags: u32::from(msg.is_static),
        depth: msg.depth as i32,
        gas: msg.gas,
        destination: address(destination),
        sender: address(msg.sender),
        input_data: msg.input.as_ptr(),
        input_size: msg.input.len(),
        value: uint(msg.value),
        create2_salt: ffi::evmc_bytes32::default(),
    }
}

/// A result made by the mock host (nothing to release).
fn host_result(status: ffi::evmc_status_code, gas_left: i64, created: H160) -> ffi::evmc_result {
    ffi::evmc_result {
        status_code: status,
        gas_left,
        output_data: std::ptr::null(),
        output_size: 0,
        release: None,
        create_address: address(created),
        padding: [0; 4],
    }
}

/// A failure made by the mock host, with the status ewvm gives the same failure in process.
fn host_failure(failure: Failure) -> ffi::evmc_result {
    let status = evmc::status_code(ExecutionResult::failure(failure).status_code());
    host_result(status, 0, H160::zero())
}

// ----- The mock EVMC host: a client over a `WorldState` -----

/// The client: world state, environment and the VM to run code on. Message semantics are the
/// client's in EVMC (value transfer, nonce, creation address, code deposit, journal); they
/// follow the same rules as ewvm's `StateHost`.
struct Client<'v> {
    vm: &'v VmHandle,
    state: RefCell<WorldState>,
    env: Env,
}

/// The host context of one executing frame (ABI 9 messages do not say whose storage a
/// `CALLCODE`/`DELEGATECALL` works on: it is the calling frame's recipient).
struct Frame<'c, 'v> {
    client: &'c Client<'v>,
    recipient: H160,
}

impl<'v> Client<'v> {
    /// A client running code on `vm` against `state`.
    fn new(vm: &'v VmHandle, state: WorldState) -> Self {
        Self {
            vm,
            state: RefCell::new(state),
            env: env(),
        }
    }

    /// Runs a top-level message.
    fn transact(&self, msg: &Message) -> Outcome {
        Outcome::take(self.dispatch(msg.sender, &evmc_message(msg)))
    }

    /// Runs a message sent from a frame executing for `caller`.
    fn dispatch(&self, caller: H160, msg: &ffi::evmc_message) -> ffi::evmc_result {
        if msg.depth > gas::MAX_CALL_DEPTH as i32 {
            return host_failure(Failure::CallDepthExceeded);
        }
        match msg.kind {
            ffi::evmc_call_kind::EVMC_CREATE | ffi::evmc_call_kind::EVMC_CREATE2 => {
                self.create(msg)
            }
            _ => self.call(caller, msg),
        }
    }

    /// A call, call-code or delegate call.
    fn call(&self, caller: H160, msg: &ffi::evmc_message) -> ffi::evmc_result {
        // SAFETY: pointers inside a message are valid during the callback.
        let (target, sender) = unsafe { (h160(&msg.destination), h160(&msg.sender)) };
        let value = U256::from_big_endian(&msg.value.bytes);
        let is_call = msg.kind == ffi::evmc_call_kind::EVMC_CALL;
        let recipient = if is_call { target } else { caller };
        let mut state = self.state.borrow_mut();
        if is_call && value.is_zero() && !state.exists(recipient) {
            return host_result(S::EVMC_SUCCESS, msg.gas, H160::zero());
        }
        let checkpoint = state.checkpoint();
        let transfer = match msg.kind {
            ffi::evmc_call_kind::EVMC_CALL => state.transfer(sender, recipient, value),
            ffi::evmc_call_kind::EVMC_CALLCODE => state.transfer(sender, sender, value),
            _ => Ok(()),
        };
        if let Err(e) = transfer {
            state.revert(checkpoint);
            return host_failure(e.into());
        }
        let code = state.code(target);
        drop(state);
        let child = ffi::evmc_message {
            destination: address(recipient),
            ..*msg
        };
        let result = match code.bytes().is_empty() {
            true => host_result(S::EVMC_SUCCESS, msg.gas, H160::zero()),
            false => self.run(&child, code.bytes()),
        };
        self.close(checkpoint, result)
    }

    /// A creation from the init code in the message's input.
    fn create(&self, msg: &ffi::evmc_message) -> ffi::evmc_result {
        // SAFETY: pointers inside a message are valid during the callback.
        let (sender, init) = unsafe { (h160(&msg.sender), bytes(msg.input_data, msg.input_size)) };
        let value = U256::from_big_endian(&msg.value.bytes);
        let mut state = self.state.borrow_mut();
        if state.balance(sender) < value {
            return host_failure(Failure::InsufficientBalance);
        }
        let nonce = state.inc_nonce(sender).expect("nonce below 2^64");
        let created = create_address(sender, nonce);
        let checkpoint = state.checkpoint();
        let setup = state.create_account(created).and_then(|()| {
            state.set_nonce(created, 1);
            state.transfer(sender, created, value)
        });
        if let Err(e) = setup {
            state.revert(checkpoint);
            return host_failure(e.into());
        }
        drop(state);
        let child = ffi::evmc_message {
            destination: address(created),
            input_data: std::ptr::null(),
            input_size: 0,
            ..*msg
        };
        let result = self.run(&child, init);
        if result.status_code != S::EVMC_SUCCESS {
            return self.close(checkpoint, result);
        }
        let deployed = Outcome::take(result);
        let deposit = gas::CODE_DEPOSIT_BYTE as i64 * deployed.output.len() as i64;
        let failure = match deployed.output.len() {
            len if len > gas::MAX_CODE_SIZE => Some(Failure::CodeSizeExceeded(len)),
            _ if deposit > deployed.gas_left => Some(Failure::OutOfGas),
            _ => None,
        };
        if let Some(failure) = failure {
            return self.close(checkpoint, host_failure(failure));
        }
        self.state.borrow_mut().set_code(created, deployed.output);
        self.close(
            checkpoint,
            host_result(S::EVMC_SUCCESS, deployed.gas_left - deposit, created),
        )
    }

    /// Keeps the frame's changes on success and undoes them otherwise.
    fn close(
        &self,
        checkpoint: ewvm::state::Checkpoint,
        result: ffi::evmc_result,
    ) -> ffi::evmc_result {
        let mut state = self.state.borrow_mut();
        match result.status_code {
            S::EVMC_SUCCESS => state.commit(checkpoint),
            _ => state.revert(checkpoint),
        }
        result
    }

    /// Executes `code` through the library for `msg`, whose destination is the recipient.
    fn run(&self, msg: &ffi::evmc_message, code: &[u8]) -> ffi::evmc_result {
        let frame = Frame {
            client: self,
            recipient: H160(msg.destination.bytes),
        };
        let context = (&frame as *const Frame<'_, '_>).cast_mut().cast();
        // SAFETY: `MOCK_HOST`'s callbacks take `context` as the `Frame`, which outlives the call.
        unsafe { self.vm.execute_raw(&MOCK_HOST, context, msg, code) }
    }
}

/// The frame behind a host context.
///
/// # Safety
/// `context` was made by [`Client::run`] and its frame is still executing.
unsafe fn frame<'a>(context: *mut ffi::evmc_host_context) -> &'a Frame<'a, 'a> {
    unsafe { &*context.cast::<Frame<'_, '_>>() }
}

/// The state behind a host context.
///
/// # Safety
/// As for [`frame`].
unsafe fn state<'a>(context: *mut ffi::evmc_host_context) -> &'a RefCell<WorldState> {
    &unsafe { frame(context) }.client.state
}

/// The callbacks of the mock host (`access_*` left null: ABI 9 marks them Berlin+).
static MOCK_HOST: ffi::evmc_host_interface = ffi::evmc_host_interface {
    account_exists: Some(account_exists),
    get_storage: Some(get_storage),
    set_storage: Some(set_storage),
    get_balance: Some(get_balance),
    get_code_size: Some(get_code_size),
    get_code_hash: Some(get_code_hash),
    copy_code: Some(copy_code),
    selfdestruct: Some(selfdestruct),
    call: Some(call),
    get_tx_context: Some(get_tx_context),
    get_block_hash: Some(get_block_hash),
    emit_log: Some(emit_log),
    access_account: None,
    access_storage: None,
};

// SAFETY (all callbacks): the VM passes a context made by `Client::run` and valid pointers.

unsafe extern "C" fn account_exists(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
) -> bool {
    unsafe { state(ctx).borrow().exists(h160(addr)) }
}

unsafe extern "C" fn get_storage(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
    key: *const ffi::evmc_bytes32,
) -> ffi::evmc_bytes32 {
    word(unsafe { state(ctx).borrow().storage(h160(addr), h256(key)) })
}

unsafe extern "C" fn set_storage(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
    key: *const ffi::evmc_bytes32,
    value: *const ffi::evmc_bytes32,
) -> ffi::evmc_storage_status {
    let mut state = unsafe { state(ctx) }.borrow_mut();
    let value = unsafe { h256(value) };
    let old = unsafe { state.set_storage(h160(addr), h256(key), value) };
    match StorageStatus::of(old, value) {
        StorageStatus::Unchanged => ffi::evmc_storage_status::EVMC_STORAGE_UNCHANGED,
        StorageStatus::Modified => ffi::evmc_storage_status::EVMC_STORAGE_MODIFIED,
        StorageStatus::ModifiedAgain => ffi::evmc_storage_status::EVMC_STORAGE_MODIFIED_AGAIN,
        StorageStatus::Added => ffi::evmc_storage_status::EVMC_STORAGE_ADDED,
        StorageStatus::Deleted => {
            state.add_refund(gas::STORAGE_CLEAR_REFUND);
            ffi::evmc_storage_status::EVMC_STORAGE_DELETED
        }
    }
}

unsafe extern "C" fn get_balance(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
) -> ffi::evmc_uint256be {
    uint(unsafe { state(ctx).borrow().balance(h160(addr)) })
}

unsafe extern "C" fn get_code_size(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
) -> usize {
    unsafe { state(ctx).borrow().code(h160(addr)).bytes().len() }
}

unsafe extern "C" fn get_code_hash(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
) -> ffi::evmc_bytes32 {
    word(unsafe { state(ctx).borrow().code_hash(h160(addr)) }.unwrap_or_default())
}

unsafe extern "C" fn copy_code(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
    offset: usize,
    data: *mut u8,
    size: usize,
) -> usize {
    let code = unsafe { state(ctx).borrow().code(h160(addr)) };
    let src = code.bytes().get(offset..).unwrap_or_default();
    let n = src.len().min(size);
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), data, n) };
    n
}

unsafe extern "C" fn selfdestruct(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
    beneficiary: *const ffi::evmc_address,
) {
    let mut state = unsafe { state(ctx) }.borrow_mut();
    if let Ok(true) = unsafe { state.selfdestruct(h160(addr), h160(beneficiary)) } {
        state.add_refund(gas::SELFDESTRUCT_REFUND);
    }
}

unsafe extern "C" fn call(
    ctx: *mut ffi::evmc_host_context,
    msg: *const ffi::evmc_message,
) -> ffi::evmc_result {
    let frame = unsafe { frame(ctx) };
    frame.client.dispatch(frame.recipient, unsafe { &*msg })
}

unsafe extern "C" fn get_tx_context(ctx: *mut ffi::evmc_host_context) -> ffi::evmc_tx_context {
    let tx = &unsafe { frame(ctx) }.client.env.tx;
    ffi::evmc_tx_context {
        tx_gas_price: uint(tx.gas_price),
        tx_origin: address(tx.origin),
        block_coinbase: address(tx.coinbase),
        block_number: tx.number,
        block_timestamp: tx.timestamp,
        block_gas_limit: tx.gas_limit,
        block_difficulty: uint(tx.difficulty),
        chain_id: uint(tx.chain_id),
        block_base_fee: ffi::evmc_uint256be::default(),
    }
}

unsafe extern "C" fn get_block_hash(
    ctx: *mut ffi::evmc_host_context,
    number: i64,
) -> ffi::evmc_bytes32 {
    let hashes = &unsafe { frame(ctx) }.client.env.block_hashes;
    let hash = u64::try_from(number).ok().and_then(|n| hashes.get(&n));
    word(hash.copied().unwrap_or_default())
}

unsafe extern "C" fn emit_log(
    ctx: *mut ffi::evmc_host_context,
    addr: *const ffi::evmc_address,
    data: *const u8,
    data_size: usize,
    topics: *const ffi::evmc_bytes32,
    topics_count: usize,
) {
    let topics: Vec<H256> = match topics.is_null() {
        true => Vec::new(),
        false => unsafe { std::slice::from_raw_parts(topics, topics_count) }
            .iter()
            .map(|t| H256(t.bytes))
            .collect(),
    };
    let log = ewvm::state::Log {
        address: unsafe { h160(addr) },
        topics,
        data: unsafe { bytes(data, data_size) }.to_vec(),
    };
    unsafe { state(ctx) }.borrow_mut().emit_log(log);
}

// ----- Fixtures -----

/// The block environment of every test.
fn env() -> Env {
    Env {
        tx: TxContext {
            gas_price: U256::from(7),
            origin: ORIGIN,
            coinbase: H160::repeat_byte(0xcb),
            number: 300,
            timestamp: 1_000,
            gas_limit: 8_000_000,
            difficulty: U256::from(0x020000),
            chain_id: U256::one(),
        },
        block_hashes: [(299, H256::repeat_byte(0x99))].into_iter().collect(),
    }
}

/// Compiles `contracts/NAME.wat`.
fn example(name: &str) -> Vec<u8> {
    let path = format!("{}/contracts/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A contract module with `imports` (WAT import lines), one page of memory, `data` segments
/// and `body` as `main`.
fn module(imports: &str, data: &str, body: &str) -> Vec<u8> {
    let text = format!(
        r#"(module {imports}
            (memory 1) (export "memory" (memory 0)) {data}
            (func (export "main") {body}))"#
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// WAT data-string escapes for `bytes`.
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A constructor whose `main` returns `runtime` as the code to deploy.
fn constructor(runtime: &[u8]) -> Vec<u8> {
    module(
        r#"(import "ethereum" "finish" (func $finish (param i32 i32)))"#,
        &format!(r#"(data (i32.const 0) "{}")"#, escape(runtime)),
        &format!("(call $finish (i32.const 0) (i32.const {}))", runtime.len()),
    )
}

/// A state with a funded sender and `contracts` (each with balance 5).
fn state_with(contracts: &[(H160, Vec<u8>)]) -> WorldState {
    let mut state = WorldState::new();
    state.insert_account(SENDER, Account::with_balance(U256::from(10u64.pow(18))));
    for (address, code) in contracts {
        let account = Account {
            code: code.clone().into(),
            balance: U256::from(5),
            ..Account::default()
        };
        state.insert_account(*address, account);
    }
    state
}

/// Runs `messages` in order from `state`, through the library and in process with the same
/// settings, asserting equal outcomes, accounts, logs and refund; returns the outcomes.
#[track_caller]
fn same_through_evmc(settings: Settings, state: WorldState, messages: &[Message]) -> Vec<Outcome> {
    let vm = Vm::new(settings);
    let mut expected = state.clone();
    let handle = VmHandle::with_settings(settings);
    let client = Client::new(&handle, state);
    let outcomes: Vec<Outcome> = messages
        .iter()
        .map(|msg| {
            let want = Outcome::of(&execute_message(&vm, &mut expected, &client.env, msg));
            let got = client.transact(msg);
            assert_eq!(got, want, "{msg:?}");
            got
        })
        .collect();
    let state = client.state.borrow();
    assert_eq!(state.accounts(), expected.accounts(), "accounts");
    assert_eq!(state.logs(), expected.logs(), "logs");
    assert_eq!(state.refund(), expected.refund(), "refund");
    outcomes
}

/// [`same_through_evmc`] with metering off.
#[track_caller]
fn same(state: WorldState, messages: &[Message]) -> Vec<Outcome> {
    same_through_evmc(Settings::default(), state, messages)
}

/// A call from `SENDER` to `to` with `input` and `GAS`.
fn call_msg(to: H160, input: &[u8]) -> Message {
    Message::call(SENDER, to, input.to_vec(), GAS)
}

/// A message of `kind` with no input, as a host would send it (not through the mock client).
fn raw_message(kind: ffi::evmc_call_kind, gas: i64) -> ffi::evmc_message {
    ffi::evmc_message {
        kind,
        flags: 0,
        depth: 0,
        gas,
        destination: address(CONTRACT),
        sender: address(SENDER),
        input_data: std::ptr::null(),
        input_size: 0,
        value: ffi::evmc_uint256be::default(),
        create2_salt: ffi::evmc_bytes32::default(),
    }
}

/// Runs `code` at `CONTRACT` through the library with a raw message and the mock client.
fn run_raw(vm: &VmHandle, msg: &ffi::evmc_message, code: &[u8]) -> Outcome {
    let client = Client::new(vm, state_with(&[(CONTRACT, code.to_vec())]));
    Outcome::from_vm(client.run(msg, code))
}

/// A contract that finishes with `output` (nothing: returns from `main`).
fn finisher(output: &[u8]) -> Vec<u8> {
    let body = match output.len() {
        0 => String::new(),
        n => format!("(call $finish (i32.const 0) (i32.const {n}))"),
    };
    module(
        r#"(import "ethereum" "finish" (func $finish (param i32 i32)))"#,
        &format!(r#"(data (i32.const 0) "{}")"#, escape(output)),
        &body,
    )
}

const NOT_WASM: [u8; 2] = [0xfe, 0x00];

// ----- What evmc-vmtester checks -----

#[test]
fn abi_version_name_version_and_capabilities() {
    let vm = VmHandle::new();
    let base = vm.base();
    assert_eq!(base.abi_version, 9);
    assert_eq!(base.abi_version, ffi::EVMC_ABI_VERSION as i32);
    // SAFETY: static NUL-terminated strings.
    let name = unsafe { CStr::from_ptr(base.name) };
    let version = unsafe { CStr::from_ptr(base.version) };
    assert_eq!(name.to_str(), Ok("ewvm"));
    assert_eq!(version.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    let get_capabilities = base.get_capabilities.expect("get_capabilities");
    let capabilities = unsafe { get_capabilities(vm.0) };
    assert_eq!(
        capabilities,
        ffi::evmc_capabilities::EVMC_CAPABILITY_EWASM as u32
    );
    // Two instances are independent and both destroyed cleanly.
    let second = VmHandle::new();
    assert_ne!(second.0, vm.0);
}

#[test]
fn non_wasm_code_fails_for_call_and_create() {
    let vm = VmHandle::new();
    let call = raw_message(ffi::evmc_call_kind::EVMC_CALL, 0);
    let create = raw_message(ffi::evmc_call_kind::EVMC_CREATE, 65536);
    let expected = Outcome {
        status: S::EVMC_FAILURE as i32,
        gas_left: 0,
        output: Vec::new(),
        create_address: H160::zero(),
    };
    for msg in [call, create] {
        assert_eq!(run_raw(&vm, &msg, &NOT_WASM), expected);
        assert_eq!(vm.execute(None, &msg, &NOT_WASM), expected, "null host");
        assert_eq!(vm.execute(Some(&MOCK_HOST), &msg, &[]), expected, "no code");
    }
    let set = vm.set_option("evm1mode", Some("fallback"));
    assert_eq!(set, ffi::evmc_set_option_result::EVMC_SET_OPTION_SUCCESS);
    for msg in [call, create] {
        let rejected = Outcome {
            status: S::EVMC_REJECTED as i32,
            ..expected.clone()
        };
        assert_eq!(run_raw(&vm, &msg, &NOT_WASM), rejected);
    }
}

#[test]
fn output_pointer_gas_and_create_address_rules() {
    let vm = VmHandle::new();
    let call = raw_message(ffi::evmc_call_kind::EVMC_CALL, GAS);
    // finish(data): a non-null buffer of the data (Outcome::take checks the pointer rule).
    let out = run_raw(&vm, &call, &finisher(b"hello"));
    assert_eq!((out.status, out.output.as_slice()), (0, &b"hello"[..]));
    assert_eq!(out.gas_left, GAS);
    // No output: null pointer, size 0, all gas left.
    let out = run_raw(&vm, &call, &finisher(&[]));
    assert_eq!((out.status, out.gas_left), (0, GAS));
    assert!(out.output.is_empty());
    // Revert keeps gas and output; a trap keeps neither.
    let reverter = run_raw(&vm, &call, &example("reverter"));
    assert_eq!(reverter.status, S::EVMC_REVERT as i32);
    assert_eq!(
        (reverter.gas_left, &reverter.output[..]),
        (GAS - 20_000, &b"reverted"[..])
    );
    let trap = run_raw(&vm, &call, &module("", "", "(unreachable)"));
    assert_eq!((trap.status, trap.gas_left), (S::EVMC_FAILURE as i32, 0));
    // A CREATE returns the code to deploy; the create address is the host's business.
    let create = raw_message(ffi::evmc_call_kind::EVMC_CREATE, GAS);
    let runtime = example("counter");
    let out = run_raw(&vm, &create, &constructor(&runtime));
    assert_eq!((out.status, &out.output), (0, &runtime));
    assert_eq!(out.create_address, H160::zero());
    let create2 = raw_message(ffi::evmc_call_kind::EVMC_CREATE2, GAS);
    assert_eq!(run_raw(&vm, &create2, &constructor(&runtime)), out);
}

#[test]
fn status_codes_follow_the_eei_mapping() {
    let vm = VmHandle::new();
    let call = raw_message(ffi::evmc_call_kind::EVMC_CALL, 30_000);
    let store = r#"(import "ethereum" "storageStore" (func $store (param i32 i32)))"#;
    let cases = [
        (module(store, "", "(call $store (i32.const 0) (i32.const 0))"), S::EVMC_SUCCESS),
        (module(store, "", "(call $store (i32.const 0) (i32.const 65535))"), S::EVMC_INVALID_MEMORY_ACCESS),
        (
            module(
                store,
                r#"(data (i32.const 32) "\01")"#,
                "(call $store (i32.const 0) (i32.const 32)) (call $store (i32.const 32) (i32.const 32))",
            ),
            S::EVMC_OUT_OF_GAS,
        ),
        (module("", "", "(drop (i32.div_u (i32.const 1) (i32.const 0)))"), S::EVMC_FAILURE),
        (module("", "", "(unreachable)"), S::EVMC_FAILURE),
        (b"\0asm\x01\0\0\0".to_vec(), S::EVMC_CONTRACT_VALIDATION_FAILURE),
        (b"\0asm\x02\0\0\0".to_vec(), S::EVMC_CONTRACT_VALIDATION_FAILURE),
        (
            module(r#"(import "ethereum" "useGas" (func $use (param i64)))"#, "", "(call $use (i64.const 30001))"),
            S::EVMC_OUT_OF_GAS,
        ),
        (
            module(
                r#"(import "ethereum" "call" (func $call (param i64 i32 i32 i32 i32) (result i32)))"#,
                "",
                "(drop (call $call (i64.const -1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))",
            ),
            S::EVMC_ARGUMENT_OUT_OF_RANGE,
        ),
    ];
    for (code, status) in cases {
        let out = run_raw(&vm, &call, &code);
        assert_eq!(out.status, status as i32, "{out:?}");
    }
    let static_call = ffi::evmc_message {
        flags: ffi::evmc_flags::EVMC_STATIC as u32,
        ..call
    };
    let write = module(store, "", "(call $store (i32.const 0) (i32.const 0))");
    let out = run_raw(&vm, &static_call, &write);
    assert_eq!(out.status, S::EVMC_STATIC_MODE_VIOLATION as i32);
}

#[test]
fn malformed_calls_are_internal_errors_without_panicking() {
    let vm = VmHandle::new();
    let code = finisher(b"x");
    let call = raw_message(ffi::evmc_call_kind::EVMC_CALL, GAS);
    let internal = |out: Outcome| assert_eq!(out.status, S::EVMC_INTERNAL_ERROR as i32, "{out:?}");
    // No host interface, or one lacking a callback the EEI uses.
    internal(vm.execute(None, &call, &code));
    let partial = ffi::evmc_host_interface {
        emit_log: None,
        ..MOCK_HOST
    };
    internal(vm.execute(Some(&partial), &call, &code));
    // Unknown flags, negative depth, null input with a size.
    internal(run_raw(&vm, &ffi::evmc_message { flags: 4, ..call }, &code));
    internal(run_raw(
        &vm,
        &ffi::evmc_message { depth: -1, ..call },
        &code,
    ));
    internal(run_raw(
        &vm,
        &ffi::evmc_message {
            input_size: 3,
            ..call
        },
        &code,
    ));
    // Null message, null code with a size.
    // SAFETY: the VM checks these pointers before using them.
    let execute = vm.base().execute.unwrap();
    let result = unsafe {
        execute(
            vm.0,
            &MOCK_HOST,
            std::ptr::null_mut(),
            REVISION,
            std::ptr::null(),
            code.as_ptr(),
            code.len(),
        )
    };
    internal(Outcome::from_vm(result));
    let result = unsafe {
        execute(
            vm.0,
            &MOCK_HOST,
            std::ptr::null_mut(),
            REVISION,
            &call,
            std::ptr::null(),
            5,
        )
    };
    internal(Outcome::from_vm(result));
}

#[test]
fn set_option_names_values_and_error_codes() {
    use ffi::evmc_set_option_result as R;
    let vm = VmHandle::new();
    // As evmc-vmtester: unknown names whatever the value, also none.
    assert_eq!(
        vm.set_option("unknown_option_csk9twq", Some("v")),
        R::EVMC_SET_OPTION_INVALID_NAME
    );
    assert_eq!(
        vm.set_option("unknown_option_csk9twq", Some("x")),
        R::EVMC_SET_OPTION_INVALID_NAME
    );
    assert_eq!(
        vm.set_option("unknown_option_csk9twq", None),
        R::EVMC_SET_OPTION_INVALID_NAME
    );
    for (name, good, bad) in [
        ("metering", ["true", "false"], "1"),
        ("debug", ["true", "false"], "yes"),
        ("evm1mode", ["reject", "fallback"], "evm2wasm"),
    ] {
        for value in good {
            assert_eq!(
                vm.set_option(name, Some(value)),
                R::EVMC_SET_OPTION_SUCCESS,
                "{name}={value}"
            );
        }
        assert_eq!(
            vm.set_option(name, Some(bad)),
            R::EVMC_SET_OPTION_INVALID_VALUE,
            "{name}={bad}"
        );
        assert_eq!(
            vm.set_option(name, None),
            R::EVMC_SET_OPTION_INVALID_VALUE,
            "{name}"
        );
    }
    // A null name, and a null instance, are invalid names.
    let set_option = vm.base().set_option.unwrap();
    let value = c"true".as_ptr();
    let null_name: *const c_char = std::ptr::null();
    assert_eq!(
        unsafe { set_option(vm.0, null_name, value) },
        R::EVMC_SET_OPTION_INVALID_NAME
    );
    let name = c"metering".as_ptr();
    assert_eq!(
        unsafe { set_option(std::ptr::null_mut(), name, value) },
        R::EVMC_SET_OPTION_INVALID_NAME
    );
}

#[test]
fn debug_option_grants_the_debug_module() {
    let code = module(
        r#"(import "debug" "print32" (func $print (param i32)))"#,
        "",
        "(call $print (i32.const 42))",
    );
    let vm = VmHandle::new();
    let call = raw_message(ffi::evmc_call_kind::EVMC_CALL, GAS);
    let out = run_raw(&vm, &call, &code);
    assert_eq!(out.status, S::EVMC_CONTRACT_VALIDATION_FAILURE as i32);
    vm.set_option("debug", Some("true"));
    assert_eq!(run_raw(&vm, &call, &code).status, 0);
    vm.set_option("debug", Some("false"));
    assert_eq!(
        run_raw(&vm, &call, &code).status,
        S::EVMC_CONTRACT_VALIDATION_FAILURE as i32
    );
}

// ----- The example contracts, through EVMC and in process -----

/// A 32-byte storage word holding `n` little-endian in its first bytes (the counter layout).
fn le_word(n: u64) -> Vec<u8> {
    let mut word = vec![0; 32];
    word[..8].copy_from_slice(&n.to_le_bytes());
    word
}

#[test]
fn counter() {
    let out = same(
        state_with(&[(CONTRACT, example("counter"))]),
        &[call_msg(CONTRACT, &[]), call_msg(CONTRACT, &[])],
    );
    assert_eq!(
        (GAS - out[0].gas_left, &out[0].output),
        (20_200, &le_word(1))
    );
    assert_eq!(
        (GAS - out[1].gas_left, &out[1].output),
        (5_200, &le_word(2))
    );
}

#[test]
fn counter_with_injected_metering() {
    let settings = Settings {
        metering: Metering::Injected,
        ..Settings::default()
    };
    let out = same_through_evmc(
        settings,
        state_with(&[(CONTRACT, example("counter"))]),
        &[call_msg(CONTRACT, &[]), call_msg(CONTRACT, &[])],
    );
    assert!(GAS - out[0].gas_left > 20_200, "instructions cost gas");
}

#[test]
fn forwarder_with_value_nested_call_and_revert_relay() {
    let forward = call_msg(CONTRACT, OTHER.as_bytes()).with_value(U256::from(1000));
    let out = same(
        state_with(&[
            (CONTRACT, example("forwarder")),
            (OTHER, example("counter")),
        ]),
        &[forward.clone(), forward],
    );
    assert_eq!((out[0].status, &out[0].output), (0, &le_word(1)));
    assert_eq!(GAS - out[0].gas_left, 9_723 + 20_200 - 2_300);
    let missing = H160::repeat_byte(0x77);
    let out = same(
        state_with(&[
            (CONTRACT, example("forwarder")),
            (OTHER, example("reverter")),
        ]),
        &[
            call_msg(CONTRACT, OTHER.as_bytes()),
            call_msg(CONTRACT, missing.as_bytes()).with_value(U256::from(5)),
            call_msg(CONTRACT, SENDER.as_bytes()),
        ],
    );
    assert_eq!(out[0].status, S::EVMC_REVERT as i32);
    assert_eq!(out[0].output, b"reverted");
}

#[test]
fn token_transfer_and_insufficient_balance() {
    let mut state = state_with(&[(CONTRACT, example("token"))]);
    // The token keys a holder's slot by its address padded to 32 bytes; balance u64 LE.
    let key = |a: H160| H256::from_slice(&[&[0u8; 12][..], a.as_bytes()].concat());
    state.set_storage(CONTRACT, key(SENDER), H256::from_slice(&le_word(1_000)));
    let transfer = |amount: u64| {
        let mut input = OTHER.as_bytes().to_vec();
        input.extend_from_slice(&amount.to_le_bytes());
        call_msg(CONTRACT, &input)
    };
    let out = same(state, &[transfer(300), transfer(300), transfer(5_000)]);
    // 27172 to a new holder, 12172 to an existing one, 216 to revert (contracts/token.wat).
    assert_eq!((out[0].status, GAS - out[0].gas_left), (0, 27_172));
    assert_eq!((out[1].status, GAS - out[1].gas_left), (0, 12_172));
    assert_eq!(out[2].status, S::EVMC_REVERT as i32);
    assert_eq!(
        (GAS - out[2].gas_left, &out[2].output[..]),
        (216, &b"insufficient"[..])
    );
}

#[test]
fn logger() {
    let out = same(
        state_with(&[(CONTRACT, example("logger"))]),
        &[call_msg(CONTRACT, b"hello, log"), call_msg(CONTRACT, &[])],
    );
    assert_eq!(GAS - out[0].gas_left, 1_215);
}

#[test]
fn reverter() {
    let out = same(
        state_with(&[(CONTRACT, example("reverter"))]),
        &[call_msg(CONTRACT, &[])],
    );
    assert_eq!(out[0].status, S::EVMC_REVERT as i32);
}

#[test]
fn factory_and_create_messages() {
    let runtime = example("counter");
    let child = create_address(CONTRACT, 0);
    let out = same(
        state_with(&[(CONTRACT, example("factory"))]),
        &[
            call_msg(CONTRACT, &constructor(&runtime)).with_value(U256::from(77)),
            call_msg(child, &[]),
            call_msg(CONTRACT, &example("reverter")),
            call_msg(CONTRACT, &constructor(&[0xfe, 1, 2])),
            Message::create(SENDER, constructor(&example("logger")), GAS),
            Message::create(SENDER, constructor(&vec![0; gas::MAX_CODE_SIZE + 1]), GAS),
            Message::create(
                SENDER,
                constructor(&runtime),
                200 * runtime.len() as i64 - 1,
            ),
            Message::create(SENDER, module("", "", ""), GAS).with_value(U256::MAX),
        ],
    );
    assert_eq!(out[0].output, child.as_bytes());
    assert_eq!(out[1].output, le_word(1));
    assert_eq!(out[2].status, S::EVMC_REVERT as i32);
    assert_eq!(out[4].create_address, create_address(SENDER, 0));
    assert_eq!(out[5].status, S::EVMC_FAILURE as i32);
    assert_eq!(out[6].status, S::EVMC_OUT_OF_GAS as i32);
    assert_eq!(out[7].status, S::EVMC_INSUFFICIENT_BALANCE as i32);
}

#[test]
fn recursion_to_the_depth_limit() {
    // Nested frames re-enter the library on this thread: give it the in-process stack size.
    let run = || {
        same(
            state_with(&[(CONTRACT, example("recursive"))]),
            &[Message::call(
                SENDER,
                CONTRACT,
                1100u32.to_le_bytes().to_vec(),
                100_000_000_000_000,
            )],
        )
    };
    let out = std::thread::Builder::new()
        .stack_size(ewvm::ewasm::EXECUTION_STACK_SIZE)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(out[0].status, 0);
}

#[test]
fn host_getters_and_external_code() {
    let imports = r#"
        (import "ethereum" "getTxOrigin" (func $origin (param i32)))
        (import "ethereum" "getBlockCoinbase" (func $coinbase (param i32)))
        (import "ethereum" "getBlockNumber" (func $number (result i64)))
        (import "ethereum" "getBlockTimestamp" (func $timestamp (result i64)))
        (import "ethereum" "getBlockGasLimit" (func $gaslimit (result i64)))
        (import "ethereum" "getBlockHash" (func $blockhash (param i64 i32) (result i32)))
        (import "ethereum" "getTxGasPrice" (func $gasprice (param i32)))
        (import "ethereum" "getBlockDifficulty" (func $difficulty (param i32)))
        (import "ethereum" "getExternalBalance" (func $balance (param i32 i32)))
        (import "ethereum" "getExternalCodeSize" (func $codesize (param i32) (result i32)))
        (import "ethereum" "externalCodeCopy" (func $extcopy (param i32 i32 i32 i32)))
        (import "ethereum" "getCaller" (func $caller (param i32)))
        (import "ethereum" "getCallValue" (func $value (param i32)))
        (import "ethereum" "getAddress" (func $address (param i32)))
        (import "ethereum" "finish" (func $finish (param i32 i32)))"#;
    let data = format!(
        r#"(data (i32.const 0) "{}") (data (i32.const 32) "{}")"#,
        escape(SENDER.as_bytes()),
        escape(OTHER.as_bytes())
    );
    let body = r#"
        (call $origin (i32.const 64))
        (call $coinbase (i32.const 96))
        (i64.store (i32.const 128) (call $number))
        (i64.store (i32.const 136) (call $timestamp))
        (i64.store (i32.const 144) (call $gaslimit))
        (i32.store (i32.const 152) (call $blockhash (i64.const 299) (i32.const 160)))
        (i32.store (i32.const 156) (call $blockhash (i64.const 42) (i32.const 192)))
        (call $gasprice (i32.const 224))
        (call $difficulty (i32.const 256))
        (call $balance (i32.const 0) (i32.const 288))
        (i32.store (i32.const 304) (call $codesize (i32.const 32)))
        (call $extcopy (i32.const 32) (i32.const 320) (i32.const 4) (i32.const 16))
        (call $caller (i32.const 336))
        (call $value (i32.const 356))
        (call $address (i32.const 372))
        (call $finish (i32.const 64) (i32.const 328))"#;
    let probe = module(imports, &data, body);
    let out = same(
        state_with(&[(CONTRACT, probe), (OTHER, example("counter"))]),
        &[call_msg(CONTRACT, &[]).with_value(U256::from(3))],
    );
    assert_eq!(out[0].status, 0);
    assert_eq!(&out[0].output[..20], ORIGIN.as_bytes());
    assert_eq!(&out[0].output[96..128], H256::repeat_byte(0x99).as_bytes());
}

#[test]
fn call_code_delegate_static_and_self_destruct() {
    let calls = r#"
        (import "ethereum" "callCode" (func $callcode (param i64 i32 i32 i32 i32) (result i32)))
        (import "ethereum" "callDelegate" (func $delegate (param i64 i32 i32 i32) (result i32)))
        (import "ethereum" "callStatic" (func $static (param i64 i32 i32 i32) (result i32)))
        (import "ethereum" "storageStore" (func $store (param i32 i32)))
        (import "ethereum" "finish" (func $finish (param i32 i32)))"#;
    let data = format!(
        r#"(data (i32.const 0) "{}") (data (i32.const 32) "\01")"#,
        escape(OTHER.as_bytes())
    );
    // Stores each call's result under keys 1, 2, 3 and finishes with them.
    let body = r#"
        (i32.store8 (i32.const 192) (call $callcode (i64.const 100000) (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 0)))
        (i32.store8 (i32.const 224) (call $delegate (i64.const 100000) (i32.const 0) (i32.const 0) (i32.const 0)))
        (i32.store8 (i32.const 256) (call $static (i64.const 100000) (i32.const 0) (i32.const 0) (i32.const 0)))
        (i32.store8 (i32.const 64) (i32.const 1))
        (call $store (i32.const 64) (i32.const 192))
        (i32.store8 (i32.const 64) (i32.const 2))
        (call $store (i32.const 64) (i32.const 224))
        (i32.store8 (i32.const 64) (i32.const 3))
        (call $store (i32.const 64) (i32.const 256))
        (call $finish (i32.const 192) (i32.const 65))"#;
    let caller = module(calls, &data, body);
    let destruct = module(
        r#"(import "ethereum" "selfDestruct" (func $sd (param i32)))"#,
        &format!(r#"(data (i32.const 0) "{}")"#, escape(OTHER.as_bytes())),
        "(call $sd (i32.const 0))",
    );
    let beneficiary_missing = module(
        r#"(import "ethereum" "selfDestruct" (func $sd (param i32)))"#,
        "",
        "(call $sd (i32.const 100))",
    );
    let third = H160::repeat_byte(0xc2);
    let fourth = H160::repeat_byte(0xc3);
    let out = same(
        state_with(&[
            (CONTRACT, caller),
            (OTHER, example("counter")),
            (third, destruct),
            (fourth, beneficiary_missing),
        ]),
        &[
            call_msg(CONTRACT, &[]),
            call_msg(third, &[]),
            call_msg(fourth, &[]),
        ],
    );
    assert!(out.iter().all(|o| o.status == 0), "{out:?}");
    // callCode and callDelegate succeed; callStatic fails (the counter writes storage).
    assert_eq!(
        [out[0].output[0], out[0].output[32], out[0].output[64]],
        [0, 0, 1]
    );
}
