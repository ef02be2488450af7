//! `ewvm statetest PATH...`: run GeneralStateTests JSON files, geth `evm statetest` style.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ewvm::ewasm::Metering;
use ewvm::statetest::{collect_files, run_files, Fork, RunnerOptions, Summary};
use regex::Regex;

/// Arguments of `ewvm statetest`.
#[derive(Debug, clap::Args)]
pub struct StatetestArgs {
    /// Test files, or directories searched recursively for `.json` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only run tests whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    run: Option<Regex>,
    /// Only run this fork (e.g. Byzantium); forks other than Byzantium are skipped.
    #[arg(long, value_name = "NAME")]
    fork: Option<Fork>,
    /// Wasm instruction metering: `off` (how the Ewasm tests were filled) or `injected`.
    #[arg(long, value_enum, default_value_t = MeteringArg::Off)]
    metering: MeteringArg,
    /// Write an EIP-3155-style trace to stderr: one line per EEI call, then the summary and
    /// `stateRoot` lines of each case.
    #[arg(long)]
    json: bool,
    /// Include the post state of each case in the output (`state`).
    #[arg(long)]
    dump: bool,
}

/// `--metering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MeteringArg {
    /// Only EEI calls cost gas.
    Off,
    /// Inject metering into the contracts.
    Injected,
}

/// Prints the JSON array on stdout, progress and `N passed, M failed` on stderr; exit status 1
/// if any case failed.
pub fn run(args: StatetestArgs) -> ExitCode {
    let files = match collect_files(&args.paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let options = RunnerOptions {
        run: args.run,
        fork: args.fork,
        metering: match args.metering {
            MeteringArg::Off => Metering::Off,
            MeteringArg::Injected => Metering::Injected,
        },
        trace: args.json,
        dump: args.dump,
    };
    let total = files.len();
    let show_progress = total > 1 && std::io::stderr().is_terminal();
    let reports = run_files(&files, &options, |done| {
        if show_progress {
            eprint!("\r{done}/{total} files");
        }
    });
    if show_progress {
        eprintln!();
    }
    let cases: Vec<_> = reports.iter().flat_map(|r| &r.cases).collect();
    let mut stderr = std::io::stderr().lock();
    for case in &cases {
        // Best effort: a closed stderr must not stop the results from being printed.
        let _ = stderr.write_all(case.trace.as_bytes());
        if !case.pass {
            let _ = writeln!(stderr, "FAIL {}", case.error);
        }
    }
    match serde_json::to_string_pretty(&cases) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot serialize the results: {e}"),
    }
    let summary = Summary::of(&reports);
    if let Some(line) = summary.skipped_line() {
        let _ = writeln!(stderr, "{line}");
    }
    let _ = writeln!(stderr, "{summary}");
    match summary.failed {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
