//! Unit tests of the metering rewriter's parts.

use super::blocks::{metered_blocks, MeteredBlock};
use super::helpers::HelperKind;
use super::rules::{instruction_name, is_float_op};
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
