//! Running state-test files: files → tests → forks → post entries (cases), with files in
//! parallel and results in a stable order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use primitive_types::{H160, H256, U256};
use rayon::prelude::*;
use regex::Regex;

use super::error::{StateTestError, StateTestErrorKind};
use super::expect;
use super::fork::Fork;
use super::prestate::pre_accounts;
use super::report::{dump, CaseReport};
use super::serde_hex::Quantity;
use super::trace::{push_json, JsonTracer, StateRootLine, SummaryLine};
use super::tx::{self, sender_address, Tx, TxOutcome};
use super::types::{PostEntry, TestUnit};
use crate::ewasm::{Env, Metering, Settings, Status, TxContext, Vm};
use crate::state::{logs_hash, state_root, Account, WorldState};

/// What to run and how.
#[derive(Debug, Clone, Default)]
pub struct RunnerOptions {
    /// Only tests whose name matches.
    pub run: Option<Regex>,
    /// Only this fork.
    pub fork: Option<Fork>,
    /// Wasm instruction metering (`Off` for the official Ewasm tests).
    pub metering: Metering,
    /// Record an EIP-3155-style trace per case.
    pub trace: bool,
    /// Attach the post state to each report.
    pub dump: bool,
}

/// The results of one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// One report per case, in file order (tests by name, forks by name, post entries in order).
    pub cases: Vec<CaseReport>,
    /// Cases not run because ewvm does not implement their fork, counted per fork name.
    pub skipped: BTreeMap<String, usize>,
}

/// Every `.json` file under `paths` (files as given, directories recursively), sorted per
/// directory.
///
/// # Errors
/// A [`StateTestError`] naming a path that cannot be read.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, StateTestError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, true, &mut files)?;
    }
    Ok(files)
}

fn collect(path: &Path, explicit: bool, out: &mut Vec<PathBuf>) -> Result<(), StateTestError> {
    let io_error = |e| file_error(path, StateTestErrorKind::Io(e));
    if !path.is_dir() {
        if explicit || path.extension().is_some_and(|e| e == "json") {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    let mut entries = std::fs::read_dir(path)
        .map_err(io_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_error)?;
    entries.sort();
    for entry in entries {
        collect(&entry, false, out)?;
    }
    Ok(())
}

/// Runs `files` in parallel; `progress` is called after each file with the number done.
pub fn run_files(
    files: &[PathBuf],
    options: &RunnerOptions,
    progress: impl Fn(usize) + Sync,
) -> Vec<FileReport> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    files
        .par_iter()
        .map(|path| {
            let report = run_file(path, options);
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            report
        })
        .collect()
}

/// Runs every test of one file; an unreadable or malformed file gives one failed report.
pub fn run_file(path: &Path, options: &RunnerOptions) -> FileReport {
    match std::fs::read_to_string(path) {
        Ok(json) => run_json(path, &json, options),
        Err(e) => failed_file(path, StateTestErrorKind::Io(e)),
    }
}

/// Runs the tests in `json` (the contents of `path`).
pub fn run_json(path: &Path, json: &str, options: &RunnerOptions) -> FileReport {
    let de = &mut serde_json::Deserializer::from_str(json);
    let tests: BTreeMap<String, serde_json::Value> = match serde_path_to_error::deserialize(de) {
        Ok(tests) => tests,
        Err(e) => return failed_file(path, e.into()),
    };
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    for (name, value) in tests {
        if options.run.as_ref().is_some_and(|re| !re.is_match(&name)) {
            continue;
        }
        let context = TestContext {
            path,
            name: &name,
            options,
        };
        match serde_path_to_error::deserialize::<_, TestUnit>(value) {
            Ok(unit) => context.run(&unit, &mut report),
            Err(e) => report.cases.push(context.failed(None, None, e.into())),
        }
    }
    report
}

/// A file-level error as a report.
fn failed_file(path: &Path, kind: StateTestErrorKind) -> FileReport {
    let context = TestContext {
        path,
        name: "",
        options: &RunnerOptions::default(),
    };
    FileReport {
        path: path.to_path_buf(),
        cases: vec![context.failed(None, None, kind)],
        skipped: BTreeMap::new(),
    }
}

fn file_error(path: &Path, kind: StateTestErrorKind) -> StateTestError {
    StateTestError {
        path: path.to_path_buf(),
        name: String::new(),
        fork: None,
        index: None,
        kind: Box::new(kind),
    }
}

/// The test being run.
struct TestContext<'a> {
    path: &'a Path,
    name: &'a str,
    options: &'a RunnerOptions,
}

/// What a test's cases share: the pre-state, the sender and the block.
struct Prepared {
    pre: BTreeMap<H160, Account>,
    sender: H160,
    env: Env,
    block_gas_limit: U256,
}

impl TestContext<'_> {
    /// Runs every supported fork's post entries of `unit`.
    fn run(&self, unit: &TestUnit, report: &mut FileReport) {
        let prepared = match prepare(unit) {
            Ok(p) => p,
            Err(kind) => return report.cases.push(self.failed(None, None, kind)),
        };
        for (fork_name, entries) in &unit.post {
            let fork = match fork_name.parse::<Fork>() {
                Ok(fork) => fork,
                Err(e) => {
                    report
                        .cases
                        .push(self.failed(Some(fork_name), None, e.into()));
                    continue;
                }
            };
            if self.options.fork.is_some_and(|only| only != fork) {
                continue;
            }
            if !fork.is_supported() {
                *report.skipped.entry(fork_name.clone()).or_default() += entries.len();
                continue;
            }
            for entry in entries {
                let case = self.run_case(unit, &prepared, fork, fork_name, entry);
                report.cases.push(case);
            }
        }
    }

    /// Runs one post entry and checks it.
    fn run_case(
        &self,
        unit: &TestUnit,
        prepared: &Prepared,
        fork: Fork,
        fork_name: &str,
        entry: &PostEntry,
    ) -> CaseReport {
        let i = entry.indexes;
        let index = Some((i.data, i.gas, i.value));
        let tx = match build_tx(unit, prepared.sender, entry) {
            Ok(tx) => tx,
            Err(kind) => return self.failed(Some(fork_name), index, kind),
        };
        let settings = Settings {
            metering: self.options.metering,
            ..Settings::default()
        };
        let tracer = self.options.trace.then(|| Arc::new(JsonTracer::default()));
        let vm = match &tracer {
            Some(t) => Vm::with_tracer(settings, t.clone()),
            None => Vm::new(settings),
        };
        let mut state = WorldState::from_accounts(prepared.pre.clone());
        let outcome = match tx::apply(
            &vm,
            &mut state,
            &prepared.env,
            prepared.block_gas_limit,
            &tx,
        ) {
            Ok(outcome) => outcome,
            Err(e) => return self.failed(Some(fork_name), index, e.into()),
        };
        let root = state_root(&state);
        let root_text = format!("{root:?}");
        let verdict = check(unit, fork, entry, &state, root, &outcome);
        let mut trace = tracer.map(|t| t.render()).unwrap_or_default();
        if self.options.trace {
            push_json(&mut trace, &summary(&outcome));
            push_json(
                &mut trace,
                &StateRootLine {
                    state_root: root_text.clone(),
                },
            );
        }
        let error = match verdict {
            Ok(()) => String::new(),
            Err(kind) => self.error(Some(fork_name), index, kind).to_string(),
        };
        CaseReport {
            name: self.name.to_string(),
            pass: error.is_empty(),
            state: self.options.dump.then(|| dump(&state, &root_text)),
            state_root: Some(root_text),
            fork: fork_name.to_string(),
            d: Some(i.data),
            g: Some(i.gas),
            v: Some(i.value),
            error,
            trace,
            path: self.path.to_path_buf(),
        }
    }

    fn error(
        &self,
        fork: Option<&str>,
        index: Option<(usize, usize, usize)>,
        kind: StateTestErrorKind,
    ) -> StateTestError {
        StateTestError {
            path: self.path.to_path_buf(),
            name: self.name.to_string(),
            fork: fork.map(str::to_string),
            index,
            kind: Box::new(kind),
        }
    }

    /// A report for a case (or test, or file) that could not run.
    fn failed(
        &self,
        fork: Option<&str>,
        index: Option<(usize, usize, usize)>,
        kind: StateTestErrorKind,
    ) -> CaseReport {
        CaseReport {
            name: match self.name {
                "" => self.path.display().to_string(),
                name => name.to_string(),
            },
            pass: false,
            state_root: None,
            fork: fork.unwrap_or_default().to_string(),
            d: index.map(|i| i.0),
            g: index.map(|i| i.1),
            v: index.map(|i| i.2),
            error: self.error(fork, index, kind).to_string(),
            state: None,
            trace: String::new(),
            path: self.path.to_path_buf(),
        }
    }
}

/// The checks of one case, in a fixed order: exception, logs, state root, `expect`.
fn check(
    unit: &TestUnit,
    fork: Fork,
    entry: &PostEntry,
    state: &WorldState,
    root: H256,
    outcome: &TxOutcome,
) -> Result<(), StateTestErrorKind> {
    if let (Some(expected), None) = (&entry.expect_exception, &outcome.invalid) {
        return Err(StateTestErrorKind::MissingException(expected.clone()));
    }
    if let Some(expected) = entry.logs {
        let got = logs_hash(&outcome.logs);
        if got != expected.0 {
            return Err(StateTestErrorKind::LogsMismatch {
                got,
                expected: expected.0,
            });
        }
    }
    if let Some(expected) = entry.hash {
        if root != expected.0 {
            return Err(StateTestErrorKind::StateRootMismatch {
                got: root,
                expected: expected.0,
            });
        }
    }
    let sections = expect::applicable(&unit.expect, fork, entry.indexes)?;
    if sections.is_empty() && entry.hash.is_none() {
        return Err(StateTestErrorKind::NothingToCheck);
    }
    match expect::mismatches(&sections, state) {
        found if found.is_empty() => Ok(()),
        found => Err(StateTestErrorKind::Expect(found)),
    }
}

/// The `--json` summary line of a transaction.
fn summary(outcome: &TxOutcome) -> SummaryLine {
    let error = match (&outcome.invalid, &outcome.status) {
        (Some(invalid), _) => Some(invalid.to_string()),
        (None, Some(Status::Failure(f))) => Some(f.to_string()),
        (None, Some(Status::Revert)) => Some("execution reverted".to_string()),
        _ => None,
    };
    SummaryLine {
        output: format!("0x{}", hex::encode(&outcome.output)),
        gas_used: format!("{:#x}", outcome.gas_used),
        error,
    }
}

/// Builds what a test's cases share.
fn prepare(unit: &TestUnit) -> Result<Prepared, StateTestErrorKind> {
    let pre = pre_accounts(&unit.pre)?;
    let t = &unit.transaction;
    let sender = match (t.sender, t.secret_key) {
        (Some(sender), _) => sender.0,
        (None, Some(key)) => sender_address(&key.0).ok_or(StateTestErrorKind::BadSecretKey)?,
        (None, None) => return Err(StateTestErrorKind::NoSender),
    };
    let e = &unit.env;
    let number: u64 = fits("env.currentNumber", e.current_number)?;
    let tx_context = TxContext {
        gas_price: t.gas_price.0,
        origin: sender,
        coinbase: e.current_coinbase.0,
        number: i64::try_from(number).map_err(|_| too_large("env.currentNumber", number))?,
        timestamp: fits("env.currentTimestamp", e.current_timestamp)?,
        gas_limit: fits("env.currentGasLimit", e.current_gas_limit)?,
        difficulty: e.current_difficulty.0,
        chain_id: U256::one(),
    };
    Ok(Prepared {
        pre,
        sender,
        env: Env {
            tx: tx_context,
            block_hashes: tx::block_hashes(number).collect(),
        },
        block_gas_limit: e.current_gas_limit.0,
    })
}

/// The transaction of one post entry.
fn build_tx(unit: &TestUnit, sender: H160, entry: &PostEntry) -> Result<Tx, StateTestErrorKind> {
    let t = &unit.transaction;
    let i = entry.indexes;
    let gas_limit = *pick("gasLimit", &t.gas_limit, i.gas)?;
    let gas_limit: u64 = fits("transaction.gasLimit", gas_limit)?;
    if gas_limit > i64::MAX as u64 {
        return Err(too_large("transaction.gasLimit", gas_limit));
    }
    Ok(Tx {
        sender,
        to: t.to,
        data: pick("data", &t.data, i.data)?.0.clone(),
        gas_limit,
        gas_price: t.gas_price.0,
        value: pick("value", &t.value, i.value)?.0,
        nonce: t.nonce.0,
    })
}

/// `list[index]`, or an error naming the field.
fn pick<'l, T>(
    field: &'static str,
    list: &'l [T],
    index: usize,
) -> Result<&'l T, StateTestErrorKind> {
    list.get(index).ok_or(StateTestErrorKind::IndexOutOfRange {
        field,
        index,
        len: list.len(),
    })
}

/// A quantity as a machine integer, or an error naming the field.
fn fits<T: TryFrom<U256>>(field: &'static str, q: Quantity) -> Result<T, StateTestErrorKind> {
    T::try_from(q.0).map_err(|_| too_large(field, q.0))
}

fn too_large(field: &'static str, value: impl ToString) -> StateTestErrorKind {
    StateTestErrorKind::TooLarge {
        field,
        value: value.to_string(),
    }
}

/// Totals over reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (including files and tests that could not run).
    pub failed: usize,
    /// Cases skipped per unsupported fork name.
    pub skipped: BTreeMap<String, usize>,
}

impl Summary {
    /// Adds up `reports`.
    pub fn of<'r>(reports: impl IntoIterator<Item = &'r FileReport>) -> Self {
        let mut summary = Summary::default();
        for report in reports {
            for case in &report.cases {
                match case.pass {
                    true => summary.passed += 1,
                    false => summary.failed += 1,
                }
            }
            for (fork, n) in &report.skipped {
                *summary.skipped.entry(fork.clone()).or_default() += n;
            }
        }
        summary
    }

    /// `N skipped (Fork: n, ...)`, or `None` when nothing was skipped.
    pub fn skipped_line(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let total: usize = self.skipped.values().sum();
        let forks: Vec<String> = self
            .skipped
            .iter()
            .map(|(f, n)| format!("{f}: {n}"))
            .collect();
        Some(format!(
            "{total} skipped, forks not implemented ({})",
            forks.join(", ")
        ))
    }
}

impl std::fmt::Display for Summary {
    /// `N passed, M failed`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}
