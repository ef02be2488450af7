//! Errors of the state-test runner: where (file, test, fork, indexes) and what.

use std::fmt;
use std::path::PathBuf;

use primitive_types::H256;

use super::fork::UnknownFork;

/// A failed or unrunnable test case.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", self.location())]
pub struct StateTestError {
    /// The test file.
    pub path: PathBuf,
    /// The test name (empty when the file itself could not be read).
    pub name: String,
    /// The fork, when the error is about one.
    pub fork: Option<String>,
    /// The post entry's data, gas and value indexes, when the error is about one.
    pub index: Option<(usize, usize, usize)>,
    /// What went wrong (boxed: keeps `Result<_, StateTestError>` small).
    pub kind: Box<StateTestErrorKind>,
}

impl StateTestError {
    /// `file`, `file: test`, `file: test/fork[d:g:v]`.
    fn location(&self) -> String {
        let mut at = self.path.display().to_string();
        if !self.name.is_empty() {
            at = format!("{at}: {}", self.name);
        }
        if let Some(fork) = &self.fork {
            at = format!("{at}/{fork}");
        }
        if let Some((d, g, v)) = self.index {
            at = format!("{at}[d={d},g={g},v={v}]");
        }
        at
    }
}

/// What went wrong with a test case.
#[derive(Debug, thiserror::Error)]
pub enum StateTestErrorKind {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The JSON is malformed, or a field is missing or has a bad value.
    #[error("bad test JSON at `{field}`: {message}")]
    Parse {
        /// Path of the offending field (`transaction.gasLimit[0]`), or `(top level)`.
        field: String,
        /// What the parser said.
        message: String,
    },
    /// A fork name nobody knows.
    #[error(transparent)]
    UnknownFork(#[from] UnknownFork),
    /// A post entry's index points past its list.
    #[error("index {index} out of range for `transaction.{field}` ({len} entries)")]
    IndexOutOfRange {
        /// `data`, `gasLimit` or `value`.
        field: &'static str,
        /// The index.
        index: usize,
        /// The list length.
        len: usize,
    },
    /// A number does not fit where it is used.
    #[error("`{field}` = {value} is too large")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// `secretKey` is not a valid secp256k1 key.
    #[error("`transaction.secretKey` is not a valid secp256k1 secret key")]
    BadSecretKey,
    /// Neither `sender` nor `secretKey` is given.
    #[error("the transaction has neither `sender` nor `secretKey`")]
    NoSender,
    /// An `expect` section's `network` entry is not a fork name or `ALL`.
    #[error("`expect.network` entry {0:?} is neither `ALL` nor a fork name")]
    BadNetwork(String),
    /// A post entry has neither a `hash` nor a matching `expect` section.
    #[error("nothing to check: no `hash` in the post entry and no `expect` section for it")]
    NothingToCheck,
    /// The world state refused an operation no valid transaction can cause.
    #[error("state error: {0}")]
    State(#[from] crate::state::StateError),
    /// The transaction was valid, but `expectException` says it must not be.
    #[error("expected exception {0:?}, but the transaction was valid")]
    MissingException(String),
    /// The logs hash differs.
    #[error("post logs hash mismatch: got {got:?}, want {expected:?}")]
    LogsMismatch {
        /// Computed.
        got: H256,
        /// From the test.
        expected: H256,
    },
    /// The state root differs.
    #[error("post state root mismatch: got {got:?}, want {expected:?}")]
    StateRootMismatch {
        /// Computed.
        got: H256,
        /// From the test.
        expected: H256,
    },
    /// Account expectations of `expect` sections failed.
    #[error("expect mismatch: {}", Mismatches(.0))]
    Expect(Vec<String>),
}

/// `a; b; c`.
struct Mismatches<'a>(&'a [String]);

impl fmt::Display for Mismatches<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl From<serde_path_to_error::Error<serde_json::Error>> for StateTestErrorKind {
    fn from(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let field = e.path().to_string();
        StateTestErrorKind::Parse {
            field: match field.as_str() {
                "." | "?" | "" => "(top level)".to_string(),
                _ => field,
            },
            message: e.into_inner().to_string(),
        }
    }
}
