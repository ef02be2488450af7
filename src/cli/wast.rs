//! `ewvm wast FILE...`: run spec scripts.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ewvm wast`.
#[derive(Debug, clap::Args)]
pub struct WastArgs {
    /// Script files to run.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print each failed directive on stderr.
    #[arg(short, long)]
    verbose: bool,
}

/// Prints `FILE: N passed, M failed` per file and a total line; exit status 1 on any failure.
pub fn run(args: WastArgs) -> ExitCode {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &args.files {
        let name = path.display().to_string();
        let report = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {name}: {e}"))
            .and_then(|source| ewvm::wast::run_script(&name, &source).map_err(|e| e.to_string()));
        match report {
            Ok(report) => {
                println!("{name}: {} passed, {} failed", report.passed, report.failed);
                if args.verbose {
                    for failure in &report.failures {
                        eprintln!("{failure}");
                    }
                }
                passed += report.passed;
                failed += report.failed;
            }
            Err(e) => {
                println!("{name}: 0 passed, 1 failed");
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
