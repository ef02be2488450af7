//! Ewasm contract validation (contracts.md §2): one typed error per broken rule.
//!
//! A contract is a Wasm 1 module (magic `\0asm`, version 1, at least 8 bytes) that
//! - imports only functions, only from `ethereum` (or from `debug` when the embedder grants it),
//!   each with its exact EEI name and signature ([`EEI_FUNCTIONS`], [`DEBUG_FUNCTIONS`]);
//! - exports exactly two things: `main`, a function `() -> ()`, and `memory`, a memory;
//! - has no start function;
//! - is valid WebAssembly (the interpreter's validator: Wasm 2.0 without SIMD).
//!
//! Floats are allowed when metering is off, as in Hera; with injected metering the rewriter's
//! `ewasm` rules (the Sentinel's) reject every float instruction and type. The rules are checked in one pass over the
//! sections with `wasmparser`, before the interpreter compiles the module, so an error names the
//! first broken rule in section order. [`Vm`](super::Vm) caches the outcome per code hash.

use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

/// The Wasm magic number `\0asm`.
pub const WASM_MAGIC: [u8; 4] = *b"\0asm";
/// The only accepted Wasm binary version, 1.
pub const WASM_VERSION: [u8; 4] = [1, 0, 0, 0];

use ValType::{I32, I64};

/// Name, parameters and results of one host function.
pub type Signature = (&'static str, &'static [ValType], &'static [ValType]);

/// The 33 functions of module `ethereum` with their exact signatures (eei.md §3).
pub const EEI_FUNCTIONS: [Signature; 33] = [
    ("useGas", &[I64], &[]),
    ("getGasLeft", &[], &[I64]),
    ("getAddress", &[I32], &[]),
    ("getExternalBalance", &[I32, I32], &[]),
    ("getBlockHash", &[I64, I32], &[I32]),
    ("call", &[I64, I32, I32, I32, I32], &[I32]),
    ("callCode", &[I64, I32, I32, I32, I32], &[I32]),
    ("callDelegate", &[I64, I32, I32, I32], &[I32]),
    ("callStatic", &[I64, I32, I32, I32], &[I32]),
    ("callDataCopy", &[I32, I32, I32], &[]),
    ("getCallDataSize", &[], &[I32]),
    ("storageStore", &[I32, I32], &[]),
    ("storageLoad", &[I32, I32], &[]),
    ("getCaller", &[I32], &[]),
    ("getCallValue", &[I32], &[]),
    ("codeCopy", &[I32, I32, I32], &[]),
    ("getCodeSize", &[], &[I32]),
    ("getBlockCoinbase", &[I32], &[]),
    ("create", &[I32, I32, I32, I32], &[I32]),
    ("getBlockDifficulty", &[I32], &[]),
    ("externalCodeCopy", &[I32, I32, I32, I32], &[]),
    ("getExternalCodeSize", &[I32], &[I32]),
    ("getBlockGasLimit", &[], &[I64]),
    ("getTxGasPrice", &[I32], &[]),
    ("log", &[I32, I32, I32, I32, I32, I32, I32], &[]),
    ("getBlockNumber", &[], &[I64]),
    ("getTxOrigin", &[I32], &[]),
    ("finish", &[I32, I32], &[]),
    ("revert", &[I32, I32], &[]),
    ("getReturnDataSize", &[], &[I32]),
    ("returnDataCopy", &[I32, I32, I32], &[]),
    ("selfDestruct", &[I32], &[]),
    ("getBlockTimestamp", &[], &[I64]),
];

/// The functions of module `debug` (eei.md §8), importable only when debugging is granted.
pub const DEBUG_FUNCTIONS: [Signature; 6] = [
    ("print32", &[I32], &[]),
    ("print64", &[I64], &[]),
    ("printMem", &[I32, I32], &[]),
    ("printMemHex", &[I32, I32], &[]),
    ("printStorage", &[I32], &[]),
    ("printStorageHex", &[I32], &[]),
];

/// Why code is not a valid Ewasm contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The code does not start with the Wasm magic or is shorter than 8 bytes (EVM code).
    #[error("not a Wasm module (no `\\0asm` preamble)")]
    NotWasm,
    /// The Wasm version field is not 1.
    #[error("unsupported Wasm version {0:02x?} (expected 01 00 00 00)")]
    BadVersion([u8; 4]),
    /// The module is malformed or invalid WebAssembly.
    #[error("invalid Wasm module: {message} (at offset {offset:#x})")]
    Invalid {
        /// What the decoder or validator said.
        message: String,
        /// Byte offset in the code.
        offset: usize,
    },
    /// An import comes from a module other than `ethereum` (or a non-granted `debug`).
    #[error("import `{module}.{field}` from invalid namespace `{module}` (at offset {offset:#x})")]
    ImportNamespace {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
        /// Byte offset of the import.
        offset: usize,
    },
    /// An import names no function of its host module.
    #[error("unknown import `{module}.{field}` (at offset {offset:#x})")]
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
        /// Byte offset of the import.
        offset: usize,
    },
    /// An import has the right name but the wrong signature.
    #[error("import `{module}.{field}` has signature {found}, expected {expected} (at offset {offset:#x})")]
    ImportSignature {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
        /// The EEI signature.
        expected: String,
        /// The module's signature.
        found: String,
        /// Byte offset of the import.
        offset: usize,
    },
    /// A memory, table, global or tag is imported.
    #[error("import `{module}.{field}` is not a function (at offset {offset:#x})")]
    NonFunctionImport {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
        /// Byte offset of the import.
        offset: usize,
    },
    /// The module has a start function.
    #[error("start function is not allowed (at offset {offset:#x})")]
    StartFunction {
        /// Byte offset of the start section.
        offset: usize,
    },
    /// There is no `main` export.
    #[error("missing export `main`")]
    MissingMain,
    /// `main` is exported but is not a function.
    #[error("export `main` is not a function")]
    MainNotFunction,
    /// `main` is a function of another type than `() -> ()`.
    #[error("export `main` has signature {found}, expected () -> ()")]
    MainSignature {
        /// Its signature.
        found: String,
    },
    /// There is no `memory` export.
    #[error("missing export `memory`")]
    MissingMemory,
    /// `memory` is exported but is not a memory.
    #[error("export `memory` is not a memory")]
    MemoryNotMemory,
    /// An export other than `main` and `memory`.
    #[error(
        "unexpected export `{name}` (only `main` and `memory` are allowed, at offset {offset:#x})"
    )]
    ExtraExport {
        /// Its name.
        name: String,
        /// Byte offset of the export.
        offset: usize,
    },
    /// The metering rewriter refused the module (with injected metering), e.g. for a float
    /// instruction; the rewriter's message.
    #[error("cannot meter contract: {0}")]
    Metering(String),
}

impl From<crate::metering::MeteringError> for ContractError {
    /// An invalid module stays [`ContractError::Invalid`] even when the metering analysis
    /// (which runs for every contract) is the first to notice; other refusals are
    /// [`ContractError::Metering`].
    fn from(e: crate::metering::MeteringError) -> Self {
        match e {
            crate::metering::MeteringError::Invalid(e) => e.into(),
            other => ContractError::Metering(other.to_string()),
        }
    }
}

impl From<crate::metering::CompileMeteredError> for ContractError {
    fn from(e: crate::metering::CompileMeteredError) -> Self {
        match e {
            crate::metering::CompileMeteredError::Metering(e) => e.into(),
            crate::metering::CompileMeteredError::Compile(e) => e.into(),
        }
    }
}

impl From<wasmparser::BinaryReaderError> for ContractError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        ContractError::Invalid {
            message: e.message().to_string(),
            offset: e.offset() as usize,
        }
    }
}

impl From<crate::wasm::CompileError> for ContractError {
    fn from(e: crate::wasm::CompileError) -> Self {
        match e {
            crate::wasm::CompileError::Invalid { message, offset } => {
                ContractError::Invalid { message, offset }
            }
            other => ContractError::Invalid {
                message: other.to_string(),
                offset: 0,
            },
        }
    }
}

/// Checks the preamble: magic (and at least 8 bytes), then version 1.
///
/// # Errors
/// [`ContractError::NotWasm`] or [`ContractError::BadVersion`].
pub fn check_preamble(code: &[u8]) -> Result<(), ContractError> {
    if code.len() < 8 || code[..4] != WASM_MAGIC {
        return Err(ContractError::NotWasm);
    }
    let version = [code[4], code[5], code[6], code[7]];
    if version != WASM_VERSION {
        return Err(ContractError::BadVersion(version));
    }
    Ok(())
}

/// Checks the Ewasm contract rules of `code` (everything but full Wasm validation, which the
/// interpreter does when it compiles the module). `debug` allows imports from module `debug`.
///
/// # Errors
/// The first broken rule, in section order; exports are checked after all sections were read.
pub fn check_contract(code: &[u8], debug: bool) -> Result<(), ContractError> {
    check_preamble(code)?;
    let mut types: Vec<wasmparser::FuncType> = Vec::new();
    // Type index of every function, imports first.
    let mut funcs: Vec<u32> = Vec::new();
    let mut main = None;
    let mut memory = false;
    for payload in Parser::new(0).parse_all(code) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let offset = offset as usize;
                    let ty = match import.ty {
                        TypeRef::Func(idx) | TypeRef::FuncExact(idx) => idx,
                        _ => {
                            return Err(ContractError::NonFunctionImport {
                                module: import.module.to_string(),
                                field: import.name.to_string(),
                                offset,
                            })
                        }
                    };
                    let found = types
                        .get(ty as usize)
                        .ok_or_else(|| ContractError::Invalid {
                            message: format!("unknown type {ty}"),
                            offset,
                        })?;
                    check_import(import.module, import.name, found, debug, offset)?;
                    funcs.push(ty);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    funcs.push(ty?);
                }
            }
            Payload::StartSection { range, .. } => {
                return Err(ContractError::StartFunction {
                    offset: range.start as usize,
                })
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter_with_offsets() {
                    let (offset, export) = export?;
                    let offset = offset as usize;
                    match (export.name, export.kind) {
                        ("main", ExternalKind::Func | ExternalKind::FuncExact) => {
                            main = Some(export.index)
                        }
                        ("main", _) => return Err(ContractError::MainNotFunction),
                        ("memory", ExternalKind::Memory) => memory = true,
                        ("memory", _) => return Err(ContractError::MemoryNotMemory),
                        (name, _) => {
                            return Err(ContractError::ExtraExport {
                                name: name.to_string(),
                                offset,
                            })
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let main = main.ok_or(ContractError::MissingMain)?;
    let main_ty = funcs
        .get(main as usize)
        .and_then(|&t| types.get(t as usize))
        .ok_or(ContractError::MissingMain)?;
    if !main_ty.params().is_empty() || !main_ty.results().is_empty() {
        return Err(ContractError::MainSignature {
            found: signature(main_ty.params(), main_ty.results()),
        });
    }
    if !memory {
        return Err(ContractError::MissingMemory);
    }
    Ok(())
}

/// Checks one function import against the granted host modules.
fn check_import(
    module: &str,
    field: &str,
    found: &wasmparser::FuncType,
    debug: bool,
    offset: usize,
) -> Result<(), ContractError> {
    let table: &[Signature] = match module {
        "ethereum" => &EEI_FUNCTIONS,
        "debug" if debug => &DEBUG_FUNCTIONS,
        _ => {
            return Err(ContractError::ImportNamespace {
                module: module.to_string(),
                field: field.to_string(),
                offset,
            })
        }
    };
    let (_, params, results) = table
        .iter()
        .find(|(name, ..)| *name == field)
        .ok_or_else(|| ContractError::UnknownImport {
            module: module.to_string(),
            field: field.to_string(),
            offset,
        })?;
    if found.params() != *params || found.results() != *results {
        return Err(ContractError::ImportSignature {
            module: module.to_string(),
            field: field.to_string(),
            expected: signature(params, results),
            found: signature(found.params(), found.results()),
            offset,
        });
    }
    Ok(())
}

/// `(i32, i64) -> (i32)` notation for error messages.
fn signature(params: &[ValType], results: &[ValType]) -> String {
    let list = |types: &[ValType]| {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}
