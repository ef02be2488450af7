//! Subcommands of the `ewvm` binary.

mod call;
mod inject;
mod invoke;
mod statetest;
mod wast;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ewvm: a deterministic Ewasm smart-contract executor.
#[derive(Debug, Parser)]
#[command(name = "ewvm", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run WebAssembly spec scripts (.wast) and report directive counts.
    Wast(wast::WastArgs),
    /// Call an exported function of a module that has no imports.
    Invoke(invoke::InvokeArgs),
    /// Meter a module: inject gas charges and the stack-height limiter.
    Inject(inject::InjectArgs),
    /// Run Ethereum state tests (JSON files or directories) and print geth-style results.
    Statetest(statetest::StatetestArgs),
    /// Call a contract of a JSON mock state (the state tests' `pre` format); prints the
    /// outcome as JSON.
    Call(call::CallArgs),
    /// Deploy a contract (`.wasm` or `.wat` init code) on a JSON mock state; prints the
    /// outcome as JSON.
    Create(call::CreateArgs),
}

impl Cli {
    /// Runs the chosen subcommand and returns the process exit code.
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Wast(args) => wast::run(args),
            Command::Invoke(args) => invoke::run(args),
            Command::Inject(args) => inject::run(args),
            Command::Statetest(args) => statetest::run(args),
            Command::Call(args) => call::run_call(args),
            Command::Create(args) => call::run_create(args),
        }
    }
}
