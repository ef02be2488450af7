//! `ewvm inject IN [-o OUT]`: meter a module (gas injection and stack-height limiter).

use std::path::PathBuf;
use std::process::ExitCode;

use ewvm::metering::{self, Config, EwasmRules, PermissiveRules};

/// Cost rule sets selectable on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RuleSet {
    /// The Ewasm testnet rules: 1 gas per instruction, floats rejected.
    Ewasm,
    /// The Ewasm costs with float instructions allowed.
    Permissive,
}

/// Arguments of `ewvm inject`.
#[derive(Debug, clap::Args)]
pub struct InjectArgs {
    /// The module, binary (`.wasm`) or text (`.wat`).
    input: PathBuf,
    /// Where to write the metered binary module (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Cost rules.
    #[arg(long, value_enum, default_value = "ewasm")]
    rules: RuleSet,
    /// Stack-height limit in value slots, or 0 to disable the limiter.
    #[arg(long, default_value_t = metering::DEFAULT_STACK_LIMIT)]
    stack_limit: u32,
    /// Pass a module that already imports `ethereum.useGas` through unchanged instead of failing.
    #[arg(long)]
    allow_metered: bool,
}

impl InjectArgs {
    /// The metering configuration these arguments select.
    fn config(&self) -> Config {
        let config = Config::default()
            .stack_limit((self.stack_limit > 0).then_some(self.stack_limit))
            .allow_metered(self.allow_metered);
        match self.rules {
            RuleSet::Ewasm => config.rules(EwasmRules),
            RuleSet::Permissive => config.rules(PermissiveRules),
        }
    }
}

/// Writes the metered module; prints a summary on stderr; exit status 1 on any error.
pub fn run(args: InjectArgs) -> ExitCode {
    let result = std::fs::read(&args.input)
        .map_err(|e| format!("cannot read {}: {e}", args.input.display()))
        .and_then(|source| {
            wat::parse_bytes(&source)
                .map(|b| b.into_owned())
                .map_err(|e| e.to_string())
        })
        .and_then(|bytes| metering::instrument(&bytes, &args.config()).map_err(|e| e.to_string()))
        .and_then(|out| {
            let written = match &args.output {
                Some(path) => std::fs::write(path, &out.bytes),
                None => std::io::Write::write_all(&mut std::io::stdout(), &out.bytes),
            };
            written.map_err(|e| format!("cannot write output: {e}"))?;
            Ok(out.stats)
        });
    match result {
        Ok(stats) => {
            eprintln!(
                "metered {} functions: {} charged regions, {} stack-limit thunks",
                stats.functions, stats.regions, stats.thunks
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
