//! The `ethereum` host module: the 33 EEI functions (eei.md §3–6, ewasm/design
//! `eth_interface.md`), with Hera's gas costs and order of checks.
//!
//! Every function charges its gas first (so the charge stands even if a later check fails),
//! then checks static mode, then reads memory. Errors stop the frame as a [`Halt`] (see
//! [`outcome`](super::outcome)). Decisions where the digest leaves a choice:
//! - The return-data buffer is **cleared** when a call or create fails before reaching the host
//!   (depth limit, insufficient balance), as the digest recommends for EVM parity; Hera leaves
//!   the previous contents.
//! - `call`/`callCode` only check the caller's balance (and its 2^128 limit) for a non-zero
//!   value, and so does `create`.
//! - `callCode` with value is allowed in a static frame (Hera quirk, kept).
//! - `callDelegate` never gets the 2300 stipend. Hera adds it whenever the frame's own value is
//!   non-zero, but no 9000 is charged then, so the caller would get 2300 gas from nothing and a
//!   message could end with more gas than it was given; EVM `DELEGATECALL` semantics instead.
//! - `selfDestruct` charges 25000 whenever the beneficiary does not exist (Hera), and ends the
//!   frame as a success.
//! - `getBlockHash` does not check the output range when the hash is unknown (Hera).
//! - `externalCodeCopy` checks the destination range before asking the host for the code, so a
//!   huge length never allocates more than the contract's memory.

use primitive_types::{H160, H256, U256};

use super::gas;
use super::host::{CallKind, Host, Message};
use super::memory::{self, read, read_address, read_bytes32, read_u128, u128_le, u256_le};
use super::outcome::{Failure, Halt, Status};
use super::trace::EeiStep;
use super::vm::Vm;
use crate::wasm::{Caller, HostModule, IntoHostFn, LinkError, Trap};

/// The host state of one executing frame.
pub(crate) struct Frame<'a> {
    /// The VM (for `debug` output).
    pub(crate) vm: &'a Vm,
    /// The world.
    pub(crate) host: &'a mut dyn Host,
    /// The message being executed.
    pub(crate) msg: &'a Message,
    /// The code as stored in the state (what `codeCopy` and `getCodeSize` see).
    pub(crate) code: &'a [u8],
    /// Output of the last call or create.
    pub(crate) return_data: Vec<u8>,
}

impl<'a> Frame<'a> {
    /// A frame with an empty return-data buffer.
    pub(crate) fn new(
        vm: &'a Vm,
        host: &'a mut dyn Host,
        msg: &'a Message,
        code: &'a [u8],
    ) -> Self {
        Self {
            vm,
            host,
            msg,
            code,
            return_data: Vec::new(),
        }
    }
}

/// What a host function gets.
pub(crate) type Ctx<'c, 'a> = Caller<'c, Frame<'a>>;

/// The `ethereum` host module; with `traced`, every function reports to the VM's
/// [`Tracer`](super::Tracer).
///
/// # Errors
/// Never in practice: [`LinkError::Duplicate`] would mean a name is registered twice.
pub(crate) fn host_module<'a>(traced: bool) -> Result<HostModule<Frame<'a>>, LinkError> {
    let mut m = HostModule::new("ethereum");
    let mut table = Table {
        module: &mut m,
        traced,
        next_op: 0,
    };
    table.add("useGas", use_gas)?;
    table.add("getGasLeft", get_gas_left)?;
    table.add("getAddress", get_address)?;
    table.add("getExternalBalance", get_external_balance)?;
    table.add("getBlockHash", get_block_hash)?;
    table.add("call", call)?;
    table.add("callCode", call_code)?;
    table.add("callDelegate", call_delegate)?;
    table.add("callStatic", call_static)?;
    table.add("callDataCopy", call_data_copy)?;
    table.add("getCallDataSize", get_call_data_size)?;
    table.add("storageStore", storage_store)?;
    table.add("storageLoad", storage_load)?;
    table.add("getCaller", get_caller)?;
    table.add("getCallValue", get_call_value)?;
    table.add("codeCopy", code_copy)?;
    table.add("getCodeSize", get_code_size)?;
    table.add("getBlockCoinbase", get_block_coinbase)?;
    table.add("create", create)?;
    table.add("getBlockDifficulty", get_block_difficulty)?;
    table.add("externalCodeCopy", external_code_copy)?;
    table.add("getExternalCodeSize", get_external_code_size)?;
    table.add("getBlockGasLimit", get_block_gas_limit)?;
    table.add("getTxGasPrice", get_tx_gas_price)?;
    table.add("log", log)?;
    table.add("getBlockNumber", get_block_number)?;
    table.add("getTxOrigin", get_tx_origin)?;
    table.add("finish", finish)?;
    table.add("revert", revert)?;
    table.add("getReturnDataSize", get_return_data_size)?;
    table.add("returnDataCopy", return_data_copy)?;
    table.add("selfDestruct", self_destruct)?;
    table.add("getBlockTimestamp", get_block_timestamp)?;
    Ok(m)
}

/// Registers the EEI functions in table order, each through the tracing wrapper if asked.
struct Table<'m, 'a> {
    module: &'m mut HostModule<Frame<'a>>,
    traced: bool,
    next_op: u8,
}

impl<'a> Table<'_, 'a> {
    /// Adds `f` as `name`, with the next op id.
    fn add<P, R, F>(&mut self, name: &'static str, f: F) -> Result<(), LinkError>
    where
        F: IntoHostFn<Frame<'a>, P, R> + Copy + Send + Sync + 'static,
    {
        let op = self.next_op;
        self.next_op = self.next_op.wrapping_add(1);
        if !self.traced {
            self.module.func_wrap(name, f)?;
            return Ok(());
        }
        let (ty, _) = f.into_host_fn();
        self.module
            .func_new(name, ty, move |caller, args, results| {
                // `f` is a zero-sized fn item: rebuilding its adapter costs one small allocation,
                // paid only when tracing.
                let (_, inner) = f.into_host_fn();
                let Caller { store, instance } = caller;
                let vm = store.data.vm;
                let step = EeiStep {
                    op,
                    name,
                    gas: store.gas,
                    depth: store.data.msg.depth,
                };
                if let Some(tracer) = vm.tracer() {
                    tracer.enter(&step);
                }
                let result = inner(
                    Caller {
                        store: &mut *store,
                        instance,
                    },
                    args,
                    results,
                );
                if let Some(tracer) = vm.tracer() {
                    let halt = result.as_ref().err().map(ToString::to_string);
                    tracer.exit(store.gas, halt.as_deref());
                }
                result
            })?;
        Ok(())
    }
}

// ----- Helpers -----

/// The contract's memory (validation guarantees one; a missing one reads as empty).
pub(crate) fn mem<'c>(c: &'c Ctx<'_, '_>) -> &'c [u8] {
    c.memory().unwrap_or_default()
}

/// Writes `bytes` to memory at `offset`.
fn store(c: &mut Ctx<'_, '_>, offset: u32, bytes: &[u8]) -> Result<(), Trap> {
    let mem = c.memory_mut().unwrap_or_default();
    Ok(memory::write(mem, offset, bytes)?)
}

/// Fails with a static-mode violation in a static frame.
fn forbid_static(c: &Ctx<'_, '_>) -> Result<(), Failure> {
    match c.data().msg.is_static {
        true => Err(Failure::StaticModeViolation),
        false => Ok(()),
    }
}

/// Charges `cost` and writes `bytes` at `offset` (the plain getters).
fn get_into(c: &mut Ctx<'_, '_>, cost: u64, offset: u32, bytes: &[u8]) -> Result<(), Trap> {
    c.consume_gas(cost)?;
    store(c, offset, bytes)
}

/// Charges the copy cost and copies `len` bytes of `source` from `offset` to memory at `out`;
/// both ranges must lie within their buffers (no zero padding).
fn copy_to_memory<'a>(
    mut c: Ctx<'_, 'a>,
    out: u32,
    offset: u32,
    len: u32,
    source: for<'f> fn(&'f Frame<'a>) -> &'f [u8],
) -> Result<(), Trap> {
    c.consume_gas(gas::copy_cost(len))?;
    let (frame, mem) = c.data_and_memory_mut();
    let bytes = read(source(frame), offset, len)?;
    Ok(memory::write(mem.unwrap_or_default(), out, bytes)?)
}

/// A length as the `i32` result of a size getter.
fn size(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Charges `gas::BASE` and returns a value of the transaction context.
fn tx_value<R>(c: &mut Ctx<'_, '_>, field: impl Fn(&super::TxContext) -> R) -> Result<R, Trap> {
    c.consume_gas(gas::BASE)?;
    Ok(field(&c.data().host.get_tx_context()))
}

// ----- Gas -----

/// `useGas(amount)`: charges `amount`; negative amounts are out of range.
fn use_gas(mut c: Ctx<'_, '_>, amount: i64) -> Result<(), Trap> {
    let amount = u64::try_from(amount).map_err(|_| Failure::ArgumentOutOfRange)?;
    c.consume_gas(amount)
}

/// `getGasLeft() -> i64`: the gas left after charging for this call.
fn get_gas_left(mut c: Ctx<'_, '_>) -> Result<i64, Trap> {
    c.consume_gas(gas::BASE)?;
    Ok(i64::try_from(c.gas()).unwrap_or(i64::MAX))
}

// ----- Message and context getters -----

/// `getAddress(out)`: the executing account.
fn get_address(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let address = c.data().msg.recipient;
    get_into(&mut c, gas::BASE, out, address.as_bytes())
}

/// `getCaller(out)`: the sender of the message.
fn get_caller(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let sender = c.data().msg.sender;
    get_into(&mut c, gas::BASE, out, sender.as_bytes())
}

/// `getCallValue(out)`: the message value as u128 LE.
fn get_call_value(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    c.consume_gas(gas::BASE)?;
    let value = u128_le(c.data().msg.value)?;
    store(&mut c, out, &value)
}

/// `getCallDataSize() -> i32`.
fn get_call_data_size(mut c: Ctx<'_, '_>) -> Result<u32, Trap> {
    c.consume_gas(gas::BASE)?;
    Ok(size(c.data().msg.input.len()))
}

/// `callDataCopy(out, offset, len)`.
fn call_data_copy(c: Ctx<'_, '_>, out: u32, offset: u32, len: u32) -> Result<(), Trap> {
    copy_to_memory(c, out, offset, len, |f| &f.msg.input)
}

/// `getCodeSize() -> i32`: size of the stored code.
fn get_code_size(mut c: Ctx<'_, '_>) -> Result<u32, Trap> {
    c.consume_gas(gas::BASE)?;
    Ok(size(c.data().code.len()))
}

/// `codeCopy(out, offset, len)`: copies the stored code.
fn code_copy(c: Ctx<'_, '_>, out: u32, offset: u32, len: u32) -> Result<(), Trap> {
    copy_to_memory(c, out, offset, len, |f| f.code)
}

/// `getReturnDataSize() -> i32`.
fn get_return_data_size(mut c: Ctx<'_, '_>) -> Result<u32, Trap> {
    c.consume_gas(gas::BASE)?;
    Ok(size(c.data().return_data.len()))
}

/// `returnDataCopy(out, offset, len)`.
fn return_data_copy(c: Ctx<'_, '_>, out: u32, offset: u32, len: u32) -> Result<(), Trap> {
    copy_to_memory(c, out, offset, len, |f| &f.return_data)
}

/// `getTxOrigin(out)`.
fn get_tx_origin(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let origin = tx_value(&mut c, |tx| tx.origin)?;
    store(&mut c, out, origin.as_bytes())
}

/// `getTxGasPrice(out)`: u128 LE.
fn get_tx_gas_price(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let price = u128_le(tx_value(&mut c, |tx| tx.gas_price)?)?;
    store(&mut c, out, &price)
}

/// `getBlockCoinbase(out)`.
fn get_block_coinbase(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let coinbase = tx_value(&mut c, |tx| tx.coinbase)?;
    store(&mut c, out, coinbase.as_bytes())
}

/// `getBlockDifficulty(out)`: u256 LE.
fn get_block_difficulty(mut c: Ctx<'_, '_>, out: u32) -> Result<(), Trap> {
    let difficulty = tx_value(&mut c, |tx| tx.difficulty)?;
    store(&mut c, out, &u256_le(difficulty))
}

/// `getBlockGasLimit() -> i64`.
fn get_block_gas_limit(mut c: Ctx<'_, '_>) -> Result<i64, Trap> {
    tx_value(&mut c, |tx| tx.gas_limit)
}

/// `getBlockNumber() -> i64`.
fn get_block_number(mut c: Ctx<'_, '_>) -> Result<i64, Trap> {
    tx_value(&mut c, |tx| tx.number)
}

/// `getBlockTimestamp() -> i64`.
fn get_block_timestamp(mut c: Ctx<'_, '_>) -> Result<i64, Trap> {
    tx_value(&mut c, |tx| tx.timestamp)
}

/// `getBlockHash(number, out) -> i32`: 0 and the hash written, or 1 if the hash is unknown.
fn get_block_hash(mut c: Ctx<'_, '_>, number: i64, out: u32) -> Result<u32, Trap> {
    c.consume_gas(gas::BLOCKHASH)?;
    let hash = c.data().host.get_block_hash(number);
    if hash.is_zero() {
        return Ok(1);
    }
    store(&mut c, out, hash.as_bytes())?;
    Ok(0)
}

// ----- Other accounts -----

/// `getExternalBalance(addressOffset, out)`: u128 LE.
fn get_external_balance(mut c: Ctx<'_, '_>, address: u32, out: u32) -> Result<(), Trap> {
    c.consume_gas(gas::BALANCE)?;
    let address = read_address(mem(&c), address)?;
    let balance = u128_le(c.data().host.get_balance(&address))?;
    store(&mut c, out, &balance)
}

/// `getExternalCodeSize(addressOffset) -> i32`.
fn get_external_code_size(mut c: Ctx<'_, '_>, address: u32) -> Result<u32, Trap> {
    c.consume_gas(gas::EXTCODE)?;
    let address = read_address(mem(&c), address)?;
    Ok(size(c.data().host.get_code_size(&address)))
}

/// `externalCodeCopy(addressOffset, out, offset, len)`: the host must supply exactly `len`
/// bytes.
fn external_code_copy(
    mut c: Ctx<'_, '_>,
    address: u32,
    out: u32,
    offset: u32,
    len: u32,
) -> Result<(), Trap> {
    c.consume_gas(gas::EXTCODE + gas::word_cost(len))?;
    let address = read_address(mem(&c), address)?;
    let dest = memory::range(mem(&c).len(), out, len)?;
    let mut code = vec![0; dest.len()];
    if c.data()
        .host
        .copy_code(&address, offset as usize, &mut code)
        != code.len()
    {
        return Err(Failure::InvalidMemoryAccess.into());
    }
    store(&mut c, out, &code)
}

// ----- Storage and logs -----

/// `storageLoad(keyOffset, out)`.
fn storage_load(mut c: Ctx<'_, '_>, key: u32, out: u32) -> Result<(), Trap> {
    c.consume_gas(gas::STORAGE_LOAD)?;
    let key = read_bytes32(mem(&c), key)?;
    let frame = c.data();
    let value = frame.host.get_storage(&frame.msg.recipient, &key);
    store(&mut c, out, value.as_bytes())
}

/// `storageStore(keyOffset, valueOffset)`: 5000, plus 15000 when a zero slot becomes non-zero.
fn storage_store(mut c: Ctx<'_, '_>, key: u32, value: u32) -> Result<(), Trap> {
    c.consume_gas(gas::STORAGE_STORE_CHANGE)?;
    forbid_static(&c)?;
    let key = read_bytes32(mem(&c), key)?;
    let value = read_bytes32(mem(&c), value)?;
    let address = c.data().msg.recipient;
    if c.data().host.get_storage(&address, &key).is_zero() && !value.is_zero() {
        c.consume_gas(gas::STORAGE_STORE_CREATE_EXTRA)?;
    }
    c.data_mut().host.set_storage(&address, &key, &value);
    Ok(())
}

/// `log(dataOffset, dataLength, numberOfTopics, topic1..topic4)`: only the first
/// `numberOfTopics` topic pointers are read.
#[allow(clippy::too_many_arguments)]
fn log(
    c: Ctx<'_, '_>,
    data: u32,
    len: u32,
    count: u32,
    t1: u32,
    t2: u32,
    t3: u32,
    t4: u32,
) -> Result<(), Trap> {
    let mut c = c;
    let cost = gas::LOG + gas::LOG_TOPIC * u64::from(count) + gas::LOG_DATA_BYTE * u64::from(len);
    c.consume_gas(cost)?;
    forbid_static(&c)?;
    let pointers = [t1, t2, t3, t4];
    let topics = pointers
        .get(..count as usize)
        .ok_or(Failure::TooManyTopics(count))?
        .iter()
        .map(|&t| read_bytes32(mem(&c), t))
        .collect::<Result<Vec<H256>, Failure>>()?;
    let data = read(mem(&c), data, len)?.to_vec();
    let address = c.data().msg.recipient;
    c.data_mut().host.emit_log(&address, &data, &topics);
    Ok(())
}

// ----- Ending the frame -----

/// `finish(dataOffset, dataLength)`: success with output.
fn finish(c: Ctx<'_, '_>, data: u32, len: u32) -> Result<(), Trap> {
    Err(Halt::Finish(read(mem(&c), data, len)?.to_vec()).into())
}

/// `revert(dataOffset, dataLength)`: revert with output.
fn revert(c: Ctx<'_, '_>, data: u32, len: u32) -> Result<(), Trap> {
    Err(Halt::Revert(read(mem(&c), data, len)?.to_vec()).into())
}

/// `selfDestruct(addressOffset)`: 5000, plus 25000 if the beneficiary does not exist; the
/// frame ends as a success.
fn self_destruct(mut c: Ctx<'_, '_>, beneficiary: u32) -> Result<(), Trap> {
    c.consume_gas(gas::SELFDESTRUCT)?;
    forbid_static(&c)?;
    let beneficiary = read_address(mem(&c), beneficiary)?;
    if !c.data().host.account_exists(&beneficiary) {
        c.consume_gas(gas::NEW_ACCOUNT)?;
    }
    let address = c.data().msg.recipient;
    c.data_mut().host.selfdestruct(&address, &beneficiary);
    Err(Halt::SelfDestruct.into())
}

// ----- Calls and creation -----

/// Which of the four call functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EeiCall {
    /// `call`.
    Plain,
    /// `callCode`.
    Code,
    /// `callDelegate`.
    Delegate,
    /// `callStatic`.
    Static,
}

/// `call(gas, addressOffset, valueOffset, dataOffset, dataLength) -> i32`.
fn call(
    c: Ctx<'_, '_>,
    gas: i64,
    address: u32,
    value: u32,
    data: u32,
    len: u32,
) -> Result<u32, Trap> {
    do_call(c, EeiCall::Plain, gas, address, Some(value), data, len)
}

/// `callCode(gas, addressOffset, valueOffset, dataOffset, dataLength) -> i32`.
fn call_code(
    c: Ctx<'_, '_>,
    gas: i64,
    address: u32,
    value: u32,
    data: u32,
    len: u32,
) -> Result<u32, Trap> {
    do_call(c, EeiCall::Code, gas, address, Some(value), data, len)
}

/// `callDelegate(gas, addressOffset, dataOffset, dataLength) -> i32`.
fn call_delegate(c: Ctx<'_, '_>, gas: i64, address: u32, data: u32, len: u32) -> Result<u32, Trap> {
    do_call(c, EeiCall::Delegate, gas, address, None, data, len)
}

/// `callStatic(gas, addressOffset, dataOffset, dataLength) -> i32`.
fn call_static(c: Ctx<'_, '_>, gas: i64, address: u32, data: u32, len: u32) -> Result<u32, Trap> {
    do_call(c, EeiCall::Static, gas, address, None, data, len)
}

/// Hera's `eeiCall` (eei.md §4): returns 0 success, 1 failure, 2 revert.
fn do_call(
    mut c: Ctx<'_, '_>,
    kind: EeiCall,
    gas: i64,
    address: u32,
    value: Option<u32>,
    data: u32,
    len: u32,
) -> Result<u32, Trap> {
    let gas = u64::try_from(gas).map_err(|_| Failure::ArgumentOutOfRange)?;
    let target = read_address(mem(&c), address)?;
    let value = match value {
        Some(offset) => read_u128(mem(&c), offset)?,
        None => U256::zero(),
    };
    let msg = c.data().msg;
    if kind == EeiCall::Plain && msg.is_static && !value.is_zero() {
        return Err(Failure::StaticModeViolation.into());
    }
    let input = match len {
        0 => Vec::new(),
        _ => read(mem(&c), data, len)?.to_vec(),
    };
    c.consume_gas(gas::CALL)?;
    if msg.depth >= gas::MAX_CALL_DEPTH {
        return Ok(early_failure(&mut c));
    }
    if matches!(kind, EeiCall::Plain | EeiCall::Code) && !value.is_zero() {
        c.consume_gas(gas::VALUE_TRANSFER)?;
        if !can_pay(&c, value)? {
            return Ok(early_failure(&mut c));
        }
        if kind == EeiCall::Plain && !c.data().host.account_exists(&target) {
            c.consume_gas(gas::NEW_ACCOUNT)?;
        }
    }
    let forwarded = gas.min(gas::all_but_one_64th(c.gas()));
    c.consume_gas(forwarded)?;
    let (recipient, sender, value, kind, is_static) = match kind {
        EeiCall::Plain => (target, msg.recipient, value, CallKind::Call, msg.is_static),
        EeiCall::Code => (
            msg.recipient,
            msg.recipient,
            value,
            CallKind::CallCode,
            msg.is_static,
        ),
        EeiCall::Delegate => (
            msg.recipient,
            msg.sender,
            msg.value,
            CallKind::DelegateCall,
            msg.is_static,
        ),
        EeiCall::Static => (target, msg.recipient, U256::zero(), CallKind::Call, true),
    };
    let stipend = match kind {
        CallKind::Call | CallKind::CallCode if !value.is_zero() => gas::VALUE_STIPEND,
        _ => 0,
    };
    let message = Message {
        kind,
        is_static,
        depth: msg.depth + 1,
        gas: i64::try_from(forwarded + stipend).unwrap_or(i64::MAX),
        recipient,
        sender,
        input,
        value,
        code_address: target,
    };
    let result = c.data_mut().host.call(&message);
    refund(&mut c, result.gas_left);
    c.data_mut().return_data = result.output;
    Ok(match result.status {
        Status::Success => 0,
        Status::Revert => 2,
        Status::Failure(_) => 1,
    })
}

/// `create(valueOffset, dataOffset, dataLength, resultOffset) -> i32` (Hera's `eeiCreate`,
/// eei.md §5): 0 and the new address written, 1 failure, 2 revert.
fn create(mut c: Ctx<'_, '_>, value: u32, data: u32, len: u32, out: u32) -> Result<u32, Trap> {
    c.consume_gas(gas::CREATE)?;
    forbid_static(&c)?;
    let value = read_u128(mem(&c), value)?;
    let msg = c.data().msg;
    if msg.depth >= gas::MAX_CALL_DEPTH || !can_pay(&c, value)? {
        return Ok(early_failure(&mut c));
    }
    let init_code = read(mem(&c), data, len)?.to_vec();
    let forwarded = gas::all_but_one_64th(c.gas());
    c.consume_gas(forwarded)?;
    let message = Message {
        depth: msg.depth + 1,
        ..Message::create(
            msg.recipient,
            init_code,
            i64::try_from(forwarded).unwrap_or(i64::MAX),
        )
    }
    .with_value(value);
    let result = c.data_mut().host.call(&message);
    refund(&mut c, result.gas_left);
    match result.status {
        Status::Success => {
            let address = result.create_address.unwrap_or_else(H160::zero);
            store(&mut c, out, address.as_bytes())?;
            c.data_mut().return_data.clear();
            Ok(0)
        }
        Status::Revert => {
            c.data_mut().return_data = result.output;
            Ok(2)
        }
        Status::Failure(_) => {
            c.data_mut().return_data = result.output;
            Ok(1)
        }
    }
}

/// Whether the executing account can pay `value` (always for zero); a balance of 2^128 or
/// more is out of range, as in Hera.
fn can_pay(c: &Ctx<'_, '_>, value: U256) -> Result<bool, Failure> {
    if value.is_zero() {
        return Ok(true);
    }
    let frame = c.data();
    let balance = frame.host.get_balance(&frame.msg.recipient);
    u128_le(balance)?;
    Ok(balance >= value)
}

/// A call or create that fails before reaching the host: result 1, return data cleared.
fn early_failure(c: &mut Ctx<'_, '_>) -> u32 {
    c.data_mut().return_data.clear();
    1
}

/// Gives back the gas a nested message did not use.
fn refund(c: &mut Ctx<'_, '_>, gas_left: i64) {
    let back = u64::try_from(gas_left).unwrap_or(0);
    let total = c.gas().saturating_add(back);
    c.set_gas(total);
}
