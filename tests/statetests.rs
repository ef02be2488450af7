//! State tests through `ewvm::statetest`: the project's own `fixtures/` always, and the
//! official Ewasm suite and transfer tests from `$EWVM_ETHEREUM_TESTS` (default
//! `../shared/ethereum-tests`) when that directory exists.
//!
//! The fixtures' contract code is compiled from `contracts/` (named per account in
//! `_info.contracts`); `EWVM_BLESS=1` rewrites the fixtures' code from the WAT sources.

use std::path::{Path, PathBuf};

use ewvm::statetest::{collect_files, run_files, run_json, FileReport, RunnerOptions, Summary};
use serde_json::Value;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ethereum_tests() -> PathBuf {
    match std::env::var_os("EWVM_ETHEREUM_TESTS") {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir().join("../shared/ethereum-tests"),
    }
}

/// Runs everything under `dir` with default options, prints the totals and every failure.
fn run_dir(label: &str, dir: &Path) -> Summary {
    let files = collect_files(&[dir.to_path_buf()]).expect("list test files");
    let reports: Vec<FileReport> = run_files(&files, &RunnerOptions::default(), |_| {});
    let summary = Summary::of(&reports);
    for case in reports.iter().flat_map(|r| &r.cases).filter(|c| !c.pass) {
        eprintln!("FAIL {}", case.error);
    }
    if let Some(line) = summary.skipped_line() {
        eprintln!("{label}: {line}");
    }
    eprintln!("{label}: {summary} ({} files)", files.len());
    summary
}

#[test]
fn fixtures_pass() {
    let summary = run_dir("fixtures", &manifest_dir().join("fixtures"));
    assert_eq!(summary.failed, 0);
    assert!(summary.passed >= 10, "only {} cases ran", summary.passed);
}

#[test]
fn official_ewasm_suite_and_transfers_pass() {
    let root = ethereum_tests();
    if !root.is_dir() {
        eprintln!(
            "SKIPPED official state tests: {} not found (set EWVM_ETHEREUM_TESTS to an \
             ethereum/tests checkout with GeneralStateTests/stEWASMTests)",
            root.display()
        );
        return;
    }
    let ewasm = run_dir("stEWASMTests", &root.join("GeneralStateTests/stEWASMTests"));
    let transfers = run_dir("transfers", &root.join("GeneralStateTests/transfers"));
    assert_eq!((ewasm.passed, ewasm.failed), (170, 0));
    assert_eq!((transfers.passed, transfers.failed), (8, 0));
}

/// Compiles the contracts named in `_info.contracts` and compares (or, with `EWVM_BLESS`,
/// replaces) the fixture's code.
#[test]
fn fixture_code_matches_contracts() {
    let bless = std::env::var_os("EWVM_BLESS").is_some();
    let files = collect_files(&[manifest_dir().join("fixtures")]).unwrap();
    let mut stale = Vec::new();
    for path in files {
        let mut suite: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut changed = false;
        for (name, test) in suite.as_object_mut().unwrap() {
            let contracts = test["_info"]["contracts"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (address, source) in contracts {
                let source = manifest_dir().join(source.as_str().unwrap());
                let wasm = wat::parse_file(&source)
                    .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
                let code = Value::String(format!("0x{}", hex::encode(wasm)));
                let slot = &mut test["pre"][&address]["code"];
                if *slot != code {
                    stale.push(format!("{}: {name}: {address}", path.display()));
                    *slot = code;
                    changed = true;
                }
            }
        }
        if bless && changed {
            let text = serde_json::to_string_pretty(&suite).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
        }
    }
    assert!(
        bless || stale.is_empty(),
        "fixture code differs from contracts/ (run with EWVM_BLESS=1):\n{}",
        stale.join("\n")
    );
}

/// A small valid test with a filler-style `expect` section, as JSON text.
fn transfer_test(expected_balance: &str) -> String {
    format!(
        r#"{{"transfer": {{
  "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
          "currentDifficulty": "0x020000", "currentGasLimit": "0x0f4240",
          "currentNumber": "0x01", "currentTimestamp": "0x03e8"}},
  "pre": {{"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b":
          {{"balance": "1000000", "code": "", "nonce": "0", "storage": {{}}}}}},
  "transaction": {{"data": [""], "gasLimit": ["21000"], "gasPrice": "1", "nonce": "0",
    "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
    "to": "0x1000000000000000000000000000000000000000", "value": ["5"]}},
  "post": {{"Byzantium": [{{"indexes": {{"data": 0, "gas": 0, "value": 0}}}}],
           "Istanbul": [{{"indexes": {{"data": 0, "gas": 0, "value": 0}}}}]}},
  "expect": [{{"result": {{"0x1000000000000000000000000000000000000000":
                          {{"balance": "{expected_balance}"}}}}}}]
}}}}"#
    )
}

#[test]
fn expect_sections_can_fail() {
    let options = RunnerOptions::default();
    let good = run_json(Path::new("good.json"), &transfer_test("5"), &options);
    assert!(good.cases[0].pass, "{}", good.cases[0].error);
    assert_eq!(good.skipped.get("Istanbul"), Some(&1));
    let bad = run_json(Path::new("bad.json"), &transfer_test("6"), &options);
    assert!(!bad.cases[0].pass);
    assert!(
        bad.cases[0].error.contains("balance is 5, expected 6"),
        "{}",
        bad.cases[0].error
    );
}

#[test]
fn malformed_tests_are_reported_and_the_run_goes_on() {
    let good = transfer_test("5");
    let good_unit = &good[good.find('{').unwrap() + 1..good.rfind('}').unwrap()];
    let cases = [
        ("{not json", "bad test JSON at `(top level)`"),
        (
            &good.replace("\"0x03e8\"", "\"0x03zz\""),
            "bad test JSON at `env.currentTimestamp`",
        ),
        (
            &good.replace("\"code\": \"\"", "\"code\": \"0x123\""),
            "invalid hex",
        ),
        (
            &good.replace("\"gasPrice\": \"1\",", ""),
            "missing field `gasPrice`",
        ),
        (
            &good.replace("Istanbul", "Byzantium2"),
            "unknown fork \"Byzantium2\"",
        ),
        (
            &good.replace("\"gas\": 0", "\"gas\": 3"),
            "index 3 out of range for `transaction.gasLimit`",
        ),
    ];
    for (json, message) in cases {
        // Each broken test sits beside an intact one, which must still run and pass.
        let file = match json.starts_with('{') && json.len() > 20 {
            true => format!(
                "{{{}, {}}}",
                &json[json.find('{').unwrap() + 1..json.rfind('}').unwrap()],
                good_unit.replacen("\"transfer\"", "\"intact\"", 1)
            ),
            false => json.to_string(),
        };
        let report = run_json(Path::new("broken.json"), &file, &RunnerOptions::default());
        let failed: Vec<&str> = report
            .cases
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.error.as_str())
            .collect();
        assert_eq!(failed.len(), 1, "{message}: {failed:?}");
        assert!(failed[0].starts_with("broken.json"), "{}", failed[0]);
        assert!(
            failed[0].contains(message),
            "want {message:?} in {}",
            failed[0]
        );
        if file != json {
            assert!(report.cases.iter().any(|c| c.name == "intact" && c.pass));
        }
    }
}
