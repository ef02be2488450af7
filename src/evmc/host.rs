//! [`EvmcHost`]: the EEI's [`Host`] over the callbacks of an EVMC host (ABI 9).

use std::cell::OnceCell;
use std::fmt;

use evmc_sys as ffi;
use primitive_types::{H160, H256, U256};

use super::convert::{
    address, bytes32, h256, message_out, result_in, storage_status, tx_context, u256,
};
use crate::ewasm::{ExecutionResult, Host, Message, StorageStatus, TxContext};

/// The EVMC host interface lacks a callback the EEI needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the EVMC host interface has no `{0}` callback")]
pub struct MissingCallback(pub &'static str);

/// The callback type inside one of EVMC's `Option<fn>` callback fields.
trait Callback {
    /// The function pointer type.
    type Fn;
}

impl<F> Callback for Option<F> {
    type Fn = F;
}

/// The function pointer of EVMC callback field type `T`.
type Fn<T> = <T as Callback>::Fn;

/// The callbacks the EEI uses, each checked to be present (`access_account` and
/// `access_storage` are not used: the EEI has no EIP-2929 pricing).
#[derive(Clone, Copy)]
struct Callbacks {
    account_exists: Fn<ffi::evmc_account_exists_fn>,
    get_storage: Fn<ffi::evmc_get_storage_fn>,
    set_storage: Fn<ffi::evmc_set_storage_fn>,
    get_balance: Fn<ffi::evmc_get_balance_fn>,
    get_code_size: Fn<ffi::evmc_get_code_size_fn>,
    get_code_hash: Fn<ffi::evmc_get_code_hash_fn>,
    copy_code: Fn<ffi::evmc_copy_code_fn>,
    selfdestruct: Fn<ffi::evmc_selfdestruct_fn>,
    call: Fn<ffi::evmc_call_fn>,
    get_tx_context: Fn<ffi::evmc_get_tx_context_fn>,
    get_block_hash: Fn<ffi::evmc_get_block_hash_fn>,
    emit_log: Fn<ffi::evmc_emit_log_fn>,
}

/// A callback that must be there.
fn required<F>(callback: Option<F>, name: &'static str) -> Result<F, MissingCallback> {
    callback.ok_or(MissingCallback(name))
}

impl Callbacks {
    /// The callbacks of `host`, or the first one missing.
    fn new(host: &ffi::evmc_host_interface) -> Result<Self, MissingCallback> {
        Ok(Self {
            account_exists: required(host.account_exists, "account_exists")?,
            get_storage: required(host.get_storage, "get_storage")?,
            set_storage: required(host.set_storage, "set_storage")?,
            get_balance: required(host.get_balance, "get_balance")?,
            get_code_size: required(host.get_code_size, "get_code_size")?,
            get_code_hash: required(host.get_code_hash, "get_code_hash")?,
            copy_code: required(host.copy_code, "copy_code")?,
            selfdestruct: required(host.selfdestruct, "selfdestruct")?,
            call: required(host.call, "call")?,
            get_tx_context: required(host.get_tx_context, "get_tx_context")?,
            get_block_hash: required(host.get_block_hash, "get_block_hash")?,
            emit_log: required(host.emit_log, "emit_log")?,
        })
    }
}

/// The EEI's [`Host`] over an EVMC host's callbacks, for the duration of one `execute`.
///
/// The transaction context is fetched on first use and kept. Nested messages go to the host's
/// `call`, which may re-enter the VM on the same thread.
pub struct EvmcHost {
    callbacks: Callbacks,
    context: *mut ffi::evmc_host_context,
    tx: OnceCell<TxContext>,
}

impl fmt::Debug for EvmcHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvmcHost")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl EvmcHost {
    /// Wraps the host interface `host` and its `context`.
    ///
    /// # Errors
    /// [`MissingCallback`] if `host` lacks a callback the EEI needs.
    ///
    /// # Safety
    /// The callbacks of `host` must be safe to call with `context` (and valid pointers to
    /// their arguments) for as long as the returned value lives: what EVMC guarantees a VM for
    /// the duration of `execute`.
    pub unsafe fn new(
        host: &ffi::evmc_host_interface,
        context: *mut ffi::evmc_host_context,
    ) -> Result<Self, MissingCallback> {
        Ok(Self {
            callbacks: Callbacks::new(host)?,
            context,
            tx: OnceCell::new(),
        })
    }
}

// SAFETY (every `unsafe` block below): `EvmcHost::new`'s contract makes the callbacks callable
// with `self.context`; every pointer argument points to a live local or to a buffer of the
// length passed beside it.
impl Host for EvmcHost {
    fn account_exists(&self, addr: &H160) -> bool {
        unsafe { (self.callbacks.account_exists)(self.context, &address(addr)) }
    }

    fn get_balance(&self, addr: &H160) -> U256 {
        u256(&unsafe { (self.callbacks.get_balance)(self.context, &address(addr)) })
    }

    fn get_code_size(&self, addr: &H160) -> usize {
        unsafe { (self.callbacks.get_code_size)(self.context, &address(addr)) }
    }

    fn get_code_hash(&self, addr: &H160) -> H256 {
        h256(&unsafe { (self.callbacks.get_code_hash)(self.context, &address(addr)) })
    }

    /// A host reporting more bytes than `buffer` holds is clamped to the buffer's length.
    fn copy_code(&self, addr: &H160, offset: usize, buffer: &mut [u8]) -> usize {
        let (data, len) = (buffer.as_mut_ptr(), buffer.len());
        let copied =
            unsafe { (self.callbacks.copy_code)(self.context, &address(addr), offset, data, len) };
        copied.min(len)
    }

    fn get_storage(&self, addr: &H160, key: &H256) -> H256 {
        h256(&unsafe { (self.callbacks.get_storage)(self.context, &address(addr), &bytes32(key)) })
    }

    fn set_storage(&mut self, addr: &H160, key: &H256, value: &H256) -> StorageStatus {
        let (addr, key, value) = (address(addr), bytes32(key), bytes32(value));
        storage_status(unsafe { (self.callbacks.set_storage)(self.context, &addr, &key, &value) })
    }

    fn selfdestruct(&mut self, addr: &H160, beneficiary: &H160) {
        let (addr, beneficiary) = (address(addr), address(beneficiary));
        unsafe { (self.callbacks.selfdestruct)(self.context, &addr, &beneficiary) }
    }

    fn call(&mut self, message: &Message) -> ExecutionResult {
        let msg = message_out(message);
        let result = unsafe { (self.callbacks.call)(self.context, &msg) };
        // SAFETY: `result` comes straight from the host's `call` and is released only here.
        unsafe { result_in(&result) }
    }

    fn emit_log(&mut self, addr: &H160, data: &[u8], topics: &[H256]) {
        let topics: Vec<ffi::evmc_bytes32> = topics.iter().map(bytes32).collect();
        let addr = address(addr);
        unsafe {
            (self.callbacks.emit_log)(
                self.context,
                &addr,
                data.as_ptr(),
                data.len(),
                topics.as_ptr(),
                topics.len(),
            )
        }
    }

    fn get_tx_context(&self) -> TxContext {
        self.tx
            .get_or_init(|| tx_context(&unsafe { (self.callbacks.get_tx_context)(self.context) }))
            .clone()
    }

    fn get_block_hash(&self, number: i64) -> H256 {
        h256(&unsafe { (self.callbacks.get_block_hash)(self.context, number) })
    }
}
