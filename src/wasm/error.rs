//! Errors of the interpreter: compiling, linking, instantiating and running.

use std::error::Error as StdError;
use std::fmt;

/// A module could not be decoded, validated or translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not a well-formed, valid module (message from the validator).
    #[error("invalid module at offset {offset}: {message}")]
    Invalid {
        /// What is wrong, naming the disabled feature where one is used.
        message: String,
        /// Byte offset in the module.
        offset: usize,
    },
    /// The module is valid but exceeds a limit of the engine's `Config`.
    #[error("module exceeds a limit: {0}")]
    Limit(String),
    /// The text format could not be parsed.
    #[error("text format error: {0}")]
    Text(String),
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CompileError::Invalid {
            message: e.message().to_string(),
            offset: e.offset() as usize,
        }
    }
}

/// An import could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The import names a module the linker was not granted or does not know.
    #[error(
        "unknown import `{module}.{field}`: module `{module}` is not granted to this instance"
    )]
    ModuleNotGranted {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
    },
    /// The module is known but has no such field.
    #[error("unknown import `{module}.{field}`: `{module}` has no `{field}`")]
    UnknownField {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
    },
    /// The provided entity does not match the imported type.
    #[error("incompatible import type for `{module}.{field}`: expected {expected}, found {found}")]
    IncompatibleType {
        /// Import module name.
        module: String,
        /// Import field name.
        field: String,
        /// What the module declares.
        expected: String,
        /// What the linker provides.
        found: String,
    },
    /// A name was defined twice in the linker.
    #[error("`{module}.{field}` is already defined")]
    Duplicate {
        /// Module name.
        module: String,
        /// Field name.
        field: String,
    },
}

/// Instantiation failed.
#[derive(Debug, thiserror::Error)]
pub enum InstantiationError {
    /// An import could not be linked.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A segment initialisation or the start function trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// A memory or table is larger than the engine's `Config` allows.
    #[error("resource limit exceeded: {0}")]
    Limit(String),
}

/// Why execution stopped abnormally, as named by the WebAssembly specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// A memory access or bulk memory operation was out of bounds.
    MemoryOutOfBounds,
    /// A table access or bulk table operation was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    UninitializedElement,
    /// `call_indirect` to a function of the wrong type.
    IndirectCallTypeMismatch,
    /// Signed division overflow or an out-of-range float-to-int conversion.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Float-to-int conversion of NaN.
    InvalidConversionToInteger,
    /// The call depth or value stack limit was reached.
    CallStackExhausted,
    /// The gas counter ran out.
    OutOfGas,
}

impl TrapCode {
    /// The message the specification's test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::InvalidConversionToInteger => "invalid conversion to integer",
            TrapCode::CallStackExhausted => "call stack exhausted",
            TrapCode::OutOfGas => "out of gas",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Execution stopped: a trap of the engine, or an error raised by a host function.
#[derive(Debug)]
pub struct Trap {
    kind: TrapKind,
}

#[derive(Debug)]
enum TrapKind {
    Code(TrapCode),
    Host(Box<dyn StdError + Send + Sync>),
}

impl Trap {
    /// A trap raised by a host function; the embedder gets `error` back through [`Trap::downcast_ref`].
    pub fn host(error: impl StdError + Send + Sync + 'static) -> Self {
        Trap {
            kind: TrapKind::Host(Box::new(error)),
        }
    }

    /// The engine trap code, if this is not a host error.
    pub fn code(&self) -> Option<TrapCode> {
        match self.kind {
            TrapKind::Code(c) => Some(c),
            TrapKind::Host(_) => None,
        }
    }

    /// The host error of type `E`, if this trap carries one.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match &self.kind {
            TrapKind::Host(e) => e.downcast_ref::<E>(),
            TrapKind::Code(_) => None,
        }
    }

    /// Takes the host error out of the trap, if it carries one of type `E`.
    pub fn downcast<E: StdError + 'static>(self) -> Result<E, Trap> {
        match self.kind {
            TrapKind::Host(e) => match e.downcast::<E>() {
                Ok(e) => Ok(*e),
                Err(e) => Err(Trap {
                    kind: TrapKind::Host(e),
                }),
            },
            kind => Err(Trap { kind }),
        }
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Self {
        Trap {
            kind: TrapKind::Code(code),
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TrapKind::Code(c) => c.fmt(f),
            TrapKind::Host(e) => e.fmt(f),
        }
    }
}

impl StdError for Trap {}

/// Any error of the interpreter's public API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Compiling a module failed.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// Instantiating a module failed.
    #[error(transparent)]
    Instantiation(#[from] InstantiationError),
    /// Running a function trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// A call was made with arguments or results that do not fit the function type.
    #[error("type mismatch: {0}")]
    Type(String),
}
