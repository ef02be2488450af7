//! The Byzantium transaction: sender recovery, intrinsic gas, validity, and applying it to a
//! world state through the EEI (fee, execution, refund, coinbase, EIP-158/161 clean-up).

use primitive_types::{H160, H256, U256};

use crate::ewasm::{execute_message, Env, ExecutionResult, Message, Status, Vm};
use crate::state::{keccak256, Log, StateError, WorldState};

/// Base cost of every transaction.
pub const TX_GAS: u64 = 21_000;
/// Extra cost of a creation (Homestead and later).
pub const TX_CREATE_GAS: u64 = 32_000;
/// Per zero byte of data.
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Per non-zero byte of data (before Istanbul's EIP-2028).
pub const TX_DATA_NON_ZERO_GAS: u64 = 68;

/// One transaction, with its data, gas limit and value chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    /// Sender.
    pub sender: H160,
    /// Recipient, or `None` for a creation.
    pub to: Option<H160>,
    /// Call data or init code.
    pub data: Vec<u8>,
    /// Gas limit (at most `i64::MAX`, the EEI's gas range).
    pub gas_limit: u64,
    /// Gas price.
    pub gas_price: U256,
    /// Value.
    pub value: U256,
    /// Nonce.
    pub nonce: U256,
}

impl Tx {
    /// Intrinsic gas: 21000, 4 per zero and 68 per non-zero data byte, 32000 for a creation.
    pub fn intrinsic_gas(&self) -> u64 {
        let data: u64 = self
            .data
            .iter()
            .map(|&b| match b {
                0 => TX_DATA_ZERO_GAS,
                _ => TX_DATA_NON_ZERO_GAS,
            })
            .sum();
        let create = if self.to.is_none() { TX_CREATE_GAS } else { 0 };
        TX_GAS + data + create
    }
}

/// Why a transaction is invalid (it then changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTx {
    /// The nonce is not the sender's.
    #[error("nonce mismatch: transaction has {tx}, sender has {state}")]
    NonceMismatch {
        /// The transaction's nonce.
        tx: U256,
        /// The sender's nonce.
        state: u64,
    },
    /// The gas limit exceeds the block's.
    #[error("gas limit {tx} exceeds the block gas limit {block}")]
    GasLimitExceedsBlock {
        /// The transaction's.
        tx: u64,
        /// The block's.
        block: U256,
    },
    /// The sender cannot pay `gasLimit * gasPrice + value`.
    #[error("insufficient funds: balance {balance}, need {required}")]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// The up-front cost (overflowing 2^256 counts as `U256::MAX`).
        required: U256,
    },
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: gas limit {gas_limit}, intrinsic gas {intrinsic}")]
    IntrinsicGasTooLow {
        /// The transaction's.
        gas_limit: u64,
        /// What it needs.
        intrinsic: u64,
    },
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Why it was invalid; `None` when it was applied.
    pub invalid: Option<InvalidTx>,
    /// How its message ended (`None` when invalid).
    pub status: Option<Status>,
    /// Output of the message.
    pub output: Vec<u8>,
    /// Gas paid for, after refunds.
    pub gas_used: u64,
    /// Logs emitted.
    pub logs: Vec<Log>,
}

/// The address of the secp256k1 secret key `secret`: the last 20 bytes of the Keccak-256 of
/// the uncompressed public key without its `0x04` prefix.
///
/// # Errors
/// `None` if `secret` is zero or not below the curve order.
pub fn sender_address(secret: &H256) -> Option<H160> {
    let key = k256::SecretKey::from_slice(secret.as_bytes()).ok()?;
    let point =
        k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    let hash = keccak256(point.as_bytes().get(1..)?);
    Some(H160::from_slice(&hash.as_bytes()[12..]))
}

/// Checks `tx` against the state and the block gas limit (Byzantium rules).
///
/// # Errors
/// The first rule it breaks, in geth's order: nonce, block gas limit, funds, intrinsic gas.
pub fn validate(state: &WorldState, tx: &Tx, block_gas_limit: U256) -> Result<(), InvalidTx> {
    let nonce = state.nonce(tx.sender);
    if tx.nonce != U256::from(nonce) {
        return Err(InvalidTx::NonceMismatch {
            tx: tx.nonce,
            state: nonce,
        });
    }
    if U256::from(tx.gas_limit) > block_gas_limit {
        return Err(InvalidTx::GasLimitExceedsBlock {
            tx: tx.gas_limit,
            block: block_gas_limit,
        });
    }
    let balance = state.balance(tx.sender);
    let required = U256::from(tx.gas_limit)
        .checked_mul(tx.gas_price)
        .and_then(|fee| fee.checked_add(tx.value))
        .unwrap_or(U256::MAX);
    if balance < required {
        return Err(InvalidTx::InsufficientFunds { balance, required });
    }
    let intrinsic = tx.intrinsic_gas();
    if tx.gas_limit < intrinsic {
        return Err(InvalidTx::IntrinsicGasTooLow {
            gas_limit: tx.gas_limit,
            intrinsic,
        });
    }
    Ok(())
}

/// Applies `tx` to `state` under Byzantium rules and finalizes the state (EIP-158/161).
///
/// An invalid transaction leaves `state` exactly as it was. A valid one bumps the sender's
/// nonce, buys its gas, runs the message through the EEI with `gasLimit - intrinsic` gas, caps
/// the refund at half the gas used, returns the unused gas to the sender and pays the used gas
/// to the coinbase (no block reward).
///
/// # Errors
/// A [`StateError`] only if a balance would overflow 2^256, which no valid test can cause.
pub fn apply(
    vm: &Vm,
    state: &mut WorldState,
    env: &Env,
    block_gas_limit: U256,
    tx: &Tx,
) -> Result<TxOutcome, StateError> {
    if let Err(invalid) = validate(state, tx, block_gas_limit) {
        return Ok(TxOutcome {
            invalid: Some(invalid),
            status: None,
            output: Vec::new(),
            gas_used: 0,
            logs: Vec::new(),
        });
    }
    let gas_limit = tx.gas_limit;
    let gas = i64::try_from(gas_limit - tx.intrinsic_gas()).unwrap_or(i64::MAX);
    let message = match tx.to {
        Some(to) => {
            // execute_message bumps the nonce itself for a creation, as geth does.
            state.inc_nonce(tx.sender)?;
            Message::call(tx.sender, to, tx.data.clone(), gas)
        }
        None => Message::create(tx.sender, tx.data.clone(), gas),
    }
    .with_value(tx.value);
    state.sub_balance(tx.sender, U256::from(gas_limit) * tx.gas_price)?;
    let result: ExecutionResult = execute_message(vm, state, env, &message);
    let gas_left = u64::try_from(result.gas_left).unwrap_or(0);
    let spent = gas_limit - gas_left;
    let refund = state.refund().min(spent / 2);
    let gas_used = spent - refund;
    state.add_balance(tx.sender, U256::from(gas_limit - gas_used) * tx.gas_price)?;
    state.add_balance(env.tx.coinbase, U256::from(gas_used) * tx.gas_price)?;
    let logs = state.finalize();
    Ok(TxOutcome {
        invalid: None,
        status: Some(result.status),
        output: result.output,
        gas_used,
        logs,
    })
}

/// Hashes of the 256 blocks before `number`, by the ethereum/tests convention:
/// `keccak256` of the block number written in decimal.
pub fn block_hashes(number: u64) -> impl Iterator<Item = (u64, H256)> {
    (number.saturating_sub(256)..number).map(|n| (n, keccak256(n.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_key_gives_the_well_known_sender() {
        let key: H256 = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
            .parse()
            .unwrap();
        let sender: H160 = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"
            .parse()
            .unwrap();
        assert_eq!(sender_address(&key), Some(sender));
        assert_eq!(sender_address(&H256::zero()), None);
    }

    #[test]
    fn intrinsic_gas_counts_bytes_and_creation() {
        let tx = Tx {
            sender: H160::zero(),
            to: Some(H160::zero()),
            data: vec![0, 1, 0, 2],
            gas_limit: 0,
            gas_price: U256::zero(),
            value: U256::zero(),
            nonce: U256::zero(),
        };
        assert_eq!(tx.intrinsic_gas(), 21_000 + 2 * 4 + 2 * 68);
        let create = Tx { to: None, ..tx };
        assert_eq!(create.intrinsic_gas(), 21_000 + 32_000 + 2 * 4 + 2 * 68);
    }
}
