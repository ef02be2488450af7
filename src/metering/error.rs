//! The one error type of the metering rewriter.

use super::helpers::HelperKind;

/// Why a module could not be metered.
#[derive(Debug, thiserror::Error)]
pub enum MeteringError {
    /// The input is not a valid module for ewvm's feature set ([`super::FEATURES`]).
    #[error("invalid module: {0}")]
    Invalid(#[from] wasmparser::BinaryReaderError),
    /// The input is malformed in a way the decoder does not report by itself.
    #[error("malformed module: {reason} (at offset {offset:#x})")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
        /// Byte offset where it was noticed.
        offset: u64,
    },
    /// A floating-point instruction was found while the rules forbid floats.
    #[error("floating-point instruction `{instruction}` is not allowed (at offset {offset:#x})")]
    FloatInstruction {
        /// The instruction, in text-format spelling.
        instruction: String,
        /// Byte offset of the instruction in the module.
        offset: u64,
    },
    /// A floating-point type was found while the rules forbid floats.
    #[error("floating-point type in {place} is not allowed (at offset {offset:#x})")]
    FloatType {
        /// Where the type appeared: "function type", "local", "global" or "global import".
        place: &'static str,
        /// Byte offset of the item declaring the type.
        offset: u64,
    },
    /// The cost rules gave no cost for an instruction.
    #[error("instruction `{instruction}` is forbidden by the cost rules (at offset {offset:#x})")]
    ForbiddenInstruction {
        /// The instruction, in text-format spelling.
        instruction: String,
        /// Byte offset of the instruction in the module being metered.
        offset: u64,
    },
    /// The module imports `ethereum.useGas` and the config does not accept metered input.
    #[error("module already imports ethereum.useGas: it is metered already (refusing to meter it twice)")]
    AlreadyMetered,
    /// The module imports `ethereum.useGas` with a type other than `(param i64)`.
    #[error("ethereum.useGas must be a function of type (param i64), found another import (at offset {offset:#x})")]
    BadUseGasImport {
        /// Byte offset of the import.
        offset: u64,
    },
    /// The static cost of one region does not fit in a `u32`.
    #[error("gas cost of the region containing offset {offset:#x} overflows u32")]
    RegionCostOverflow {
        /// Byte offset of the instruction whose cost overflowed the region.
        offset: u64,
    },
    /// A dynamic per-unit cost could make one helper charge exceed `i64::MAX`.
    #[error("{kind:?} cost of {gas_per_unit} gas per unit can exceed i64::MAX for one operation")]
    DynamicCostOverflow {
        /// The helper whose charge could overflow.
        kind: HelperKind,
        /// The per-unit cost given by the rules.
        gas_per_unit: u64,
    },
    /// The stack cost of a function plus the stack limit does not fit in a `u32`.
    #[error("stack cost {cost} of function {function} plus the stack limit {limit} overflows u32")]
    StackCostOverflow {
        /// Function index.
        function: u32,
        /// Its stack cost (declared locals plus maximum operand-stack height).
        cost: u32,
        /// The configured limit.
        limit: u32,
    },
    /// An index space would exceed `u32::MAX` entries after adding the injected items.
    #[error("too many {0} to add the injected ones")]
    IndexOverflow(&'static str),
    /// wasm-encoder could not re-encode the module.
    #[error("cannot re-encode module: {0}")]
    Reencode(String),
}

impl From<wasm_encoder::reencode::Error<MeteringError>> for MeteringError {
    fn from(err: wasm_encoder::reencode::Error<MeteringError>) -> Self {
        use wasm_encoder::reencode::Error;
        match err {
            Error::UserError(err) => err,
            Error::ParseError(err) => Self::Invalid(err),
            other => Self::Reencode(other.to_string()),
        }
    }
}

/// Why [`super::compile`] could not meter and compile a module.
#[derive(Debug, thiserror::Error)]
pub enum CompileMeteredError {
    /// Metering refused the module (as [`super::instrument`] does).
    #[error(transparent)]
    Metering(#[from] MeteringError),
    /// The interpreter could not compile the metered module (a limit of the interpreter).
    #[error(transparent)]
    Compile(#[from] crate::wasm::CompileError),
}
