//! [`StateHost`]: the [`Host`] over the journaled [`WorldState`], running nested messages by
//! re-entering the [`Vm`], and [`execute_message`], the entry point for embedders.
//!
//! Message semantics follow geth's Byzantium `Call`/`CallCode`/`DelegateCall`/`Create`, which the
//! Ewasm state tests were filled against (through aleth):
//! - one journal checkpoint per message: committed on success, reverted on revert or failure;
//! - a call to a missing account without value is a no-op success that touches nothing;
//! - a creation checks the sender's balance, bumps the sender's nonce (kept even if the creation
//!   fails), derives the address from the sender and its nonce before the bump, fails on an
//!   address collision, sets the new account's nonce to 1 (EIP-161), transfers the value, runs
//!   the init code with empty call data (empty init code runs nothing and succeeds, as in geth and
//!   aleth, which the Ewasm tests `create` and `createOOB3` rely on), and deposits the returned code: at most 24576 bytes
//!   (EIP-170), 200 gas per byte, the whole creation failing if the gas left cannot pay it;
//! - storage clearing refunds 15000 and a first self-destruct 24000 (the refund counter of the
//!   state; capping and paying it is the transaction's job).
//!
//! A failure before any code runs (depth above 1024, insufficient balance) consumes all gas like
//! every other failure (EVMC's rule); the EEI checks both before calling the host anyway.

use std::collections::BTreeMap;

use primitive_types::{H160, H256, U256};

use super::gas;
use super::host::{CallKind, Host, Message, StorageStatus, TxContext};
use super::outcome::{ExecutionResult, Failure};
use super::vm::Vm;
use crate::state::{create_address, Checkpoint, Log, StateError, WorldState};

/// Host stack for [`execute_message`]: room for 1025 nested frames, each re-entering the
/// interpreter (measured: under 4 KiB per frame with `opt-level = 1`, so 4 MiB suffices there;
/// unoptimised builds need far more). Reserved, not committed, by the OS.
pub const EXECUTION_STACK_SIZE: usize = 256 << 20;

/// The block environment of a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// Transaction and block facts.
    pub tx: TxContext,
    /// Known block hashes by number (`getBlockHash` of any other number fails).
    pub block_hashes: BTreeMap<u64, H256>,
}

/// A [`Host`] over a [`WorldState`].
#[derive(Debug)]
pub struct StateHost<'a> {
    vm: &'a Vm,
    state: &'a mut WorldState,
    env: &'a Env,
}

impl<'a> StateHost<'a> {
    /// A host running nested messages on `vm` against `state` in `env`.
    pub fn new(vm: &'a Vm, state: &'a mut WorldState, env: &'a Env) -> Self {
        Self { vm, state, env }
    }

    /// Runs the code of `msg.code_address` for a call, call-code or delegate call.
    fn run_call(&mut self, msg: &Message) -> ExecutionResult {
        if msg.kind == CallKind::Call && msg.value.is_zero() && !self.state.exists(msg.recipient) {
            return ExecutionResult::success(msg.gas, Vec::new());
        }
        let checkpoint = self.state.checkpoint();
        let transfer = match msg.kind {
            CallKind::Call => self.state.transfer(msg.sender, msg.recipient, msg.value),
            CallKind::CallCode => self.state.transfer(msg.sender, msg.sender, msg.value),
            CallKind::DelegateCall | CallKind::Create => Ok(()),
        };
        if let Err(e) = transfer {
            return self.abort(checkpoint, e);
        }
        let code = self.state.code(msg.code_address);
        if code.is_empty() {
            self.state.commit(checkpoint);
            return ExecutionResult::success(msg.gas, Vec::new());
        }
        let vm = self.vm;
        let result = vm.execute(self, msg, &code);
        self.close(checkpoint, result)
    }

    /// Creates a contract from the init code in `msg.input`.
    fn run_create(&mut self, msg: &Message) -> ExecutionResult {
        if self.state.balance(msg.sender) < msg.value {
            return ExecutionResult::failure(Failure::InsufficientBalance);
        }
        let nonce = match self.state.inc_nonce(msg.sender) {
            Ok(nonce) => nonce,
            Err(e) => return ExecutionResult::failure(Failure::Internal(e.to_string())),
        };
        let address = create_address(msg.sender, nonce);
        let checkpoint = self.state.checkpoint();
        if let Err(e) = self.state.create_account(address) {
            return self.abort(checkpoint, e);
        }
        self.state.set_nonce(address, 1);
        if let Err(e) = self.state.transfer(msg.sender, address, msg.value) {
            return self.abort(checkpoint, e);
        }
        if msg.input.is_empty() {
            // No init code: nothing runs and the account keeps empty code (geth, aleth).
            self.state.commit(checkpoint);
            return ExecutionResult {
                create_address: Some(address),
                ..ExecutionResult::success(msg.gas, Vec::new())
            };
        }
        let child = Message {
            recipient: address,
            code_address: address,
            input: Vec::new(),
            ..msg.clone()
        };
        let vm = self.vm;
        let result = vm.execute(self, &child, &msg.input);
        if !result.is_success() {
            return self.close(checkpoint, result);
        }
        let code = result.output;
        if code.len() > gas::MAX_CODE_SIZE {
            return self.abort(checkpoint, Failure::CodeSizeExceeded(code.len()));
        }
        let deposit = gas::CODE_DEPOSIT_BYTE * code.len() as u64;
        let Some(gas_left) = u64::try_from(result.gas_left)
            .ok()
            .and_then(|g| g.checked_sub(deposit))
        else {
            return self.abort(checkpoint, Failure::OutOfGas);
        };
        self.state.set_code(address, code);
        self.state.commit(checkpoint);
        ExecutionResult {
            create_address: Some(address),
            ..ExecutionResult::success(i64::try_from(gas_left).unwrap_or(i64::MAX), Vec::new())
        }
    }

    /// Commits on success, reverts otherwise, and passes the result on.
    fn close(&mut self, checkpoint: Checkpoint, result: ExecutionResult) -> ExecutionResult {
        match result.is_success() {
            true => self.state.commit(checkpoint),
            false => self.state.revert(checkpoint),
        }
        result
    }

    /// Reverts and fails.
    fn abort(&mut self, checkpoint: Checkpoint, failure: impl Into<Failure>) -> ExecutionResult {
        self.state.revert(checkpoint);
        ExecutionResult::failure(failure.into())
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        match e {
            StateError::InsufficientBalance { .. } => Failure::InsufficientBalance,
            StateError::AddressCollision { address } => Failure::AddressCollision(address),
            other => Failure::Internal(other.to_string()),
        }
    }
}

impl Host for StateHost<'_> {
    fn account_exists(&self, address: &H160) -> bool {
        self.state.exists(*address)
    }

    fn get_balance(&self, address: &H160) -> U256 {
        self.state.balance(*address)
    }

    fn get_code_size(&self, address: &H160) -> usize {
        self.state.account(*address).map_or(0, |a| a.code.len())
    }

    fn get_code_hash(&self, address: &H160) -> H256 {
        self.state.code_hash(*address).unwrap_or_default()
    }

    fn copy_code(&self, address: &H160, offset: usize, buffer: &mut [u8]) -> usize {
        let code = self.state.code(*address);
        let src = code.get(offset..).unwrap_or_default();
        let n = src.len().min(buffer.len());
        buffer[..n].copy_from_slice(&src[..n]);
        n
    }

    fn get_storage(&self, address: &H160, key: &H256) -> H256 {
        self.state.storage(*address, *key)
    }

    fn set_storage(&mut self, address: &H160, key: &H256, value: &H256) -> StorageStatus {
        let old = self.state.set_storage(*address, *key, *value);
        let status = StorageStatus::of(old, *value);
        if status == StorageStatus::Deleted {
            self.state.add_refund(gas::STORAGE_CLEAR_REFUND);
        }
        status
    }

    /// A beneficiary that cannot hold the balance (beyond 2^256 wei) leaves the state unchanged.
    fn selfdestruct(&mut self, address: &H160, beneficiary: &H160) {
        if let Ok(true) = self.state.selfdestruct(*address, *beneficiary) {
            self.state.add_refund(gas::SELFDESTRUCT_REFUND);
        }
    }

    fn call(&mut self, message: &Message) -> ExecutionResult {
        if message.depth > gas::MAX_CALL_DEPTH {
            return ExecutionResult::failure(Failure::CallDepthExceeded);
        }
        match message.kind {
            CallKind::Create => self.run_create(message),
            _ => self.run_call(message),
        }
    }

    fn emit_log(&mut self, address: &H160, data: &[u8], topics: &[H256]) {
        self.state.emit_log(Log {
            address: *address,
            topics: topics.to_vec(),
            data: data.to_vec(),
        });
    }

    fn get_tx_context(&self) -> TxContext {
        self.env.tx.clone()
    }

    fn get_block_hash(&self, number: i64) -> H256 {
        u64::try_from(number)
            .ok()
            .and_then(|n| self.env.block_hashes.get(&n))
            .copied()
            .unwrap_or_default()
    }
}

/// Executes `message` (a call or a creation, usually at depth 0) against `state`: the value
/// transfer, the code and all nested messages, with the state rolled back unless it succeeds.
/// For a creation the sender's nonce is bumped here (so a creation transaction must not bump
/// it again). Transaction-level rules (intrinsic gas, fee, refund cap, EIP-161 clean-up) are the
/// caller's.
///
/// Runs on a fresh thread with an [`EXECUTION_STACK_SIZE`] stack, so 1024 nested frames are
/// safe. If that thread cannot start or panics, the state is rolled back and the result is a
/// [`Failure::Internal`].
pub fn execute_message(
    vm: &Vm,
    state: &mut WorldState,
    env: &Env,
    message: &Message,
) -> ExecutionResult {
    let checkpoint = state.checkpoint();
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("ewvm-exec".to_string())
            .stack_size(EXECUTION_STACK_SIZE)
            .spawn_scoped(scope, || StateHost::new(vm, state, env).call(message))
            .map(|thread| thread.join())
    });
    match outcome {
        Ok(Ok(result)) => {
            state.commit(checkpoint);
            result
        }
        Ok(Err(_panic)) => {
            state.revert(checkpoint);
            ExecutionResult::failure(Failure::Internal("execution thread panicked".to_string()))
        }
        Err(e) => {
            state.revert(checkpoint);
            ExecutionResult::failure(Failure::Internal(format!(
                "cannot start execution thread: {e}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ewasm::Settings;

    #[test]
    fn empty_init_code_creates_an_empty_account_and_keeps_the_gas() {
        let sender = H160::repeat_byte(0xaa);
        let mut state = WorldState::new();
        state.set_balance(sender, U256::from(1000));
        state.set_nonce(sender, 4);
        let vm = Vm::new(Settings::default());
        let msg = Message::create(sender, Vec::new(), 50_000).with_value(U256::from(7));
        let result = execute_message(&vm, &mut state, &Env::default(), &msg);
        let address = create_address(sender, 4);
        assert!(result.is_success(), "{result:?}");
        assert_eq!(result.gas_left, 50_000);
        assert_eq!(result.create_address, Some(address));
        assert_eq!(state.nonce(sender), 5);
        assert_eq!(state.nonce(address), 1);
        assert_eq!(state.balance(address), U256::from(7));
        assert!(state.code(address).is_empty());
    }
}
