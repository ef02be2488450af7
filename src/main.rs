//! The `ewvm` command line: a thin layer over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Parses the arguments (a usage error exits with status 1) and runs the subcommand.
fn main() -> ExitCode {
    match cli::Cli::try_parse() {
        Ok(cli) => cli.run(),
        Err(e) => {
            // Best effort: the message goes to stderr (or stdout for --help and --version).
            let _ = e.print();
            match e.use_stderr() {
                true => ExitCode::FAILURE,
                false => ExitCode::SUCCESS,
            }
        }
    }
}
