//! Subcommands of the `ewvm` binary.

mod inject;
mod invoke;
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
}

impl Cli {
    /// Runs the chosen subcommand and returns the process exit code.
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Wast(args) => wast::run(args),
            Command::Invoke(args) => invoke::run(args),
            Command::Inject(args) => inject::run(args),
        }
    }
}
