//! Metering rewriter tests: golden files, index rewriting, errors, determinism and robustness.
//!
//! Golden files: `tests/fixtures/metering/in/NAME.wat` is injected and the output, printed by
//! `wasmprinter`, must equal `out/NAME.wat`; run with `EWVM_BLESS=1` to rewrite the expectations.
//! A `;; config:` line in the input picks the config: `no-stack-limit`, `stack-limit N`,
//! `rules permissive` (default: `Config::default()`). Outputs are also checked with wabt's
//! `wasm-validate` when it is installed.

use ewvm::metering::{
    inject, instrument, recognize, Config, CostRules, EwasmRules, HelperKind, MeteringError,
    PermissiveRules,
};
use std::fs;
use std::path::{Path, PathBuf};
use wasmparser::{ElementItems, ExternalKind, Operator, Parser, Payload, TypeRef};

/// The fixture directory.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metering")
}

/// Every input fixture as (name, source), sorted by name.
fn inputs() -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(fixtures().join("in"))
        .expect("fixture directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read_to_string(&p).expect("fixture"))
        })
        .collect()
}

/// The config a fixture asks for in its `;; config:` line.
fn fixture_config(source: &str) -> Config {
    let mut config = Config::default();
    let Some(line) = source.lines().find_map(|l| l.strip_prefix(";; config:")) else {
        return config;
    };
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        config = match (word, words.clone().next()) {
            ("no-stack-limit", _) => config.stack_limit(None),
            ("stack-limit", Some(n)) => {
                words.next();
                config.stack_limit(Some(n.parse().expect("stack limit")))
            }
            ("rules", Some("permissive")) => {
                words.next();
                config.rules(PermissiveRules)
            }
            other => panic!("unknown config word {other:?}"),
        };
    }
    config
}

/// Parses WAT to a valid binary.
fn wasm(wat: &str) -> Vec<u8> {
    let bytes = wat::parse_str(wat).expect("fixture parses");
    wasmparser::validate(&bytes).expect("fixture validates");
    bytes
}

/// Injects with `config`, checks that the output validates and that `recognize` agrees.
#[track_caller]
fn meter(bytes: &[u8], config: &Config) -> Vec<u8> {
    let out = instrument(bytes, config).expect("injection succeeds");
    if let Err(e) = wasmparser::validate(&out.bytes) {
        panic!("output does not validate: {e}\n{}", print(&out.bytes));
    }
    assert_eq!(recognize(&out.bytes).expect("recognize"), out.layout);
    out.bytes
}

/// The text form of a binary module.
fn print(bytes: &[u8]) -> String {
    wasmprinter::print_bytes(bytes).expect("output prints")
}

/// A compact line diff: the first differing line with some context.
fn first_difference(got: &str, expected: &str) -> String {
    let (got, expected): (Vec<_>, Vec<_>) = (got.lines().collect(), expected.lines().collect());
    let at = (0..got.len().max(expected.len()))
        .find(|&i| got.get(i) != expected.get(i))
        .unwrap_or(0);
    let window = |lines: &[&str]| {
        lines
            .iter()
            .skip(at.saturating_sub(3))
            .take(7)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "at line {}:\n--- got\n{}\n--- expected\n{}",
        at + 1,
        window(&got),
        window(&expected)
    )
}

/// Validates `bytes` with wabt's `wasm-validate` if it is installed (`None` if it is not).
fn wabt_validate(name: &str, bytes: &[u8]) -> Option<Result<(), String>> {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("metering-{name}.wasm"));
    fs::write(&path, bytes).expect("write temporary module");
    let output = std::process::Command::new("wasm-validate")
        .arg(&path)
        .output()
        .ok()?;
    Some(match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    })
}

#[test]
fn metering_golden_files() {
    let bless = std::env::var_os("EWVM_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (name, source) in inputs() {
        let bytes = meter(&wasm(&source), &fixture_config(&source));
        if let Some(Err(e)) = wabt_validate(&name, &bytes) {
            failures.push(format!("{name}: wasm-validate rejects the output: {e}"));
        }
        let got = print(&bytes);
        let path = fixtures().join("out").join(format!("{name}.wat"));
        if bless {
            fs::write(&path, &got).expect("write expectation");
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(expected) if expected == got => {}
            Ok(expected) => failures.push(format!("{name}: {}", first_difference(&got, &expected))),
            Err(e) => failures.push(format!("{name}: no expectation {} ({e})", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (EWVM_BLESS=1 rewrites):\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn metering_is_deterministic() {
    for (name, source) in inputs() {
        let (bytes, config) = (wasm(&source), fixture_config(&source));
        let first = inject(&bytes, &config).expect("inject");
        let second = inject(&bytes, &config.clone()).expect("inject");
        assert_eq!(first, second, "{name}: two runs differ");
    }
}

/// The function index of every `call` in the defined function bodies, in order.
fn calls(bytes: &[u8]) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CodeSectionEntry(body) = payload.expect("payload") {
            let ops = body.get_operators_reader().expect("ops");
            out.push(
                ops.into_iter()
                    .filter_map(|op| match op.expect("op") {
                        Operator::Call { function_index }
                        | Operator::RefFunc { function_index } => Some(function_index),
                        _ => None,
                    })
                    .collect(),
            );
        }
    }
    out
}

#[test]
fn metering_rewrites_every_function_index_space() {
    let source = fs::read_to_string(fixtures().join("in/indices.wat")).expect("fixture");
    let out = meter(&wasm(&source), &Config::default().stack_limit(None));
    // Imports $a = 0, $b = 1, useGas = 2; $one 2 → 3, $two 3 → 4, $three 4 → 5.
    let mut exports = Vec::new();
    let mut elements = Vec::new();
    let mut start = None;
    let mut global_init = Vec::new();
    let mut names = Vec::new();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(&out) {
        match payload.expect("payload") {
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.expect("import");
                    if let TypeRef::Func(_) = i.ty {
                        imports.push(format!("{}.{}", i.module, i.name));
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.expect("export");
                    assert_eq!(e.kind, ExternalKind::Func);
                    exports.push((e.name.to_owned(), e.index));
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    for op in g.expect("global").init_expr.get_operators_reader() {
                        if let Operator::RefFunc { function_index } = op.expect("op") {
                            global_init.push(function_index);
                        }
                    }
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    let mut items = Vec::new();
                    match e.expect("element").items {
                        ElementItems::Functions(f) => {
                            items.extend(f.into_iter().map(|f| f.expect("index")))
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                for op in expr.expect("expr").get_operators_reader() {
                                    if let Operator::RefFunc { function_index } = op.expect("op") {
                                        items.push(function_index);
                                    }
                                }
                            }
                        }
                    }
                    elements.push(items);
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader {
                        if let wasmparser::Name::Function(map) = sub.expect("names") {
                            names.extend(map.into_iter().map(|n| {
                                let n = n.expect("name");
                                (n.index, n.name.to_owned())
                            }));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(imports, ["env.a", "env.b", "ethereum.useGas"]);
    let exports_expected =
        [("one", 3), ("two", 4), ("imported", 1)].map(|(n, i)| (n.to_owned(), i));
    assert_eq!(exports, exports_expected);
    assert_eq!(global_init, [4]);
    assert_eq!(elements, [vec![3, 0], vec![4, 1], vec![3], vec![5]]);
    assert_eq!(start, Some(5));
    let names_expected =
        [(0, "a"), (1, "b"), (3, "one"), (4, "two"), (5, "three")].map(|(i, n)| (i, n.to_owned()));
    assert_eq!(names, names_expected);
    // $one: charge, call $a, call $two, ref.func $three; $two: charge only (call_indirect keeps its type).
    assert_eq!(calls(&out), [vec![2, 0, 4, 5], vec![2], vec![2]]);
}

#[test]
fn metering_stack_limiter_redirects_references_to_thunks() {
    let source = fs::read_to_string(fixtures().join("in/stack_limit.wat")).expect("fixture");
    let out = instrument(&wasm(&source), &Config::default()).expect("inject");
    // $rec (exported, in the table) and $leaf (ref.func) and $init (start) have thunks; $nop has cost 0.
    assert_eq!(out.stats.thunks, 3);
    assert_eq!(out.stats.functions, 4);
    let text = print(&out.bytes);
    assert!(text.contains("i32.const 1024"), "limit is checked:\n{text}");
    // Imports: log 0, useGas 1; defined 2..=5; thunks 6 ($rec), 7 ($leaf), 8 ($init).
    assert!(text.contains("(export \"rec\" (func 6))"), "{text}");
    assert!(text.contains("(start 8)"), "{text}");
    assert!(text.contains("(elem (;0;) (i32.const 0) func 6)"), "{text}");
}

#[test]
fn metering_limiter_can_be_disabled_and_changed() {
    let source = fs::read_to_string(fixtures().join("in/stack_limit.wat")).expect("fixture");
    let bytes = wasm(&source);
    let unlimited = meter(&bytes, &Config::default().stack_limit(None));
    assert!(!print(&unlimited).contains("global.set"));
    let limited = print(&meter(&bytes, &Config::default().stack_limit(Some(77))));
    assert!(limited.contains("i32.const 77") && !limited.contains("i32.const 1024"));
}

/// Injects with the default config, expecting an error.
#[track_caller]
fn error_of(wat: &str, config: &Config) -> MeteringError {
    let bytes = wat::parse_str(wat).expect("wat parses");
    match inject(&bytes, config) {
        Ok(out) => panic!("expected an error, got:\n{}", print(&out)),
        Err(e) => e,
    }
}

#[test]
fn metering_rejects_float_instructions_with_name_and_offset() {
    let wat = "(module (func (param i32) (result i32) local.get 0 f32.convert_i32_s i32.reinterpret_f32))";
    let bytes = wat::parse_str(wat).expect("wat");
    match inject(&bytes, &Config::default()) {
        Err(MeteringError::FloatInstruction {
            instruction,
            offset,
        }) => {
            assert_eq!(instruction, "f32.convert_i32_s");
            assert_eq!(
                bytes.get(offset as usize),
                Some(&0xb2),
                "offset points at the opcode"
            );
        }
        other => panic!("{other:?}"),
    }
    let loads = "(module (memory 1) (func (result i32) i32.const 0 f64.load drop i32.const 0))";
    assert!(matches!(
        error_of(loads, &Config::default()),
        MeteringError::FloatInstruction { instruction, .. } if instruction == "f64.load"
    ));
}

#[test]
fn metering_rejects_float_types_everywhere() {
    let cases = [
        ("(module (func (param f32)))", "function type"),
        ("(module (func (local f64)))", "local"),
        ("(module (global f32 (f32.const 0)))", "global"),
        (
            "(module (import \"env\" \"g\" (global f64)))",
            "global import",
        ),
    ];
    for (wat, place) in cases {
        match error_of(wat, &Config::default()) {
            MeteringError::FloatType { place: got, .. } => assert_eq!(got, place, "{wat}"),
            other => panic!("{wat}: {other:?}"),
        }
    }
    let typed = "(module (func (result i32) i32.const 0 block (result f32) unreachable end drop))";
    assert!(matches!(
        error_of(typed, &Config::default()),
        MeteringError::FloatInstruction { .. }
    ));
    let permissive = Config::default().rules(PermissiveRules);
    for (wat, _) in cases {
        meter(&wat::parse_str(wat).expect("wat"), &permissive);
    }
}

#[test]
fn metering_refuses_to_meter_twice() {
    let wat = "(module (import \"ethereum\" \"useGas\" (func (param i64))) (memory 1) \
               (func (param i32) (result i32) local.get 0 memory.grow))";
    assert!(matches!(
        error_of(wat, &Config::default()),
        MeteringError::AlreadyMetered
    ));
    // Metering output is refused too, and passes through unchanged when allowed.
    let once = meter(
        &wasm("(module (memory 1) (func (param i32) (result i32) local.get 0 memory.grow))"),
        &Config::default(),
    );
    assert!(matches!(
        inject(&once, &Config::default()),
        Err(MeteringError::AlreadyMetered)
    ));
    let allowed = instrument(&once, &Config::default().allow_metered(true)).expect("pass-through");
    assert_eq!(allowed.bytes, once);
    assert_eq!(allowed.layout.use_gas, Some(0));
    assert_eq!(allowed.layout.helpers.len(), 1);
    let bad = "(module (import \"ethereum\" \"useGas\" (func (param i32))))";
    assert!(matches!(
        error_of(bad, &Config::default()),
        MeteringError::BadUseGasImport { .. }
    ));
}

#[test]
fn metering_rejects_invalid_modules() {
    for bytes in [
        &b""[..],
        b"\0asm",
        b"not wasm at all",
        b"\0asm\x01\0\0\0\x01\x04\x01\x60\0",
    ] {
        assert!(
            matches!(
                inject(bytes, &Config::default()),
                Err(MeteringError::Invalid(_))
            ),
            "{bytes:?}"
        );
    }
    let ill_typed = "(module (func (result i32) i64.const 0))";
    assert!(matches!(
        error_of(ill_typed, &Config::default()),
        MeteringError::Invalid(_)
    ));
    let simd = "(module (func (result v128) v128.const i64x2 0 0))";
    assert!(matches!(
        error_of(simd, &Config::default()),
        MeteringError::Invalid(_)
    ));
}

/// Rules with one huge cost per instruction, or forbidding `call_indirect`.
#[derive(Debug)]
struct Costly {
    /// Cost of each instruction.
    each: u32,
    /// Gas per grown page.
    grow: u64,
}

impl CostRules for Costly {
    fn instruction_cost(&self, op: &Operator<'_>) -> Option<u32> {
        (!matches!(op, Operator::CallIndirect { .. })).then_some(self.each)
    }

    fn grow_cost_per_page(&self) -> u64 {
        self.grow
    }
}

#[test]
fn metering_reports_cost_overflows_and_forbidden_instructions() {
    let huge = Config::default()
        .rules(Costly {
            each: u32::MAX,
            grow: 1,
        })
        .stack_limit(None);
    let wat = "(module (func nop nop))";
    assert!(matches!(
        error_of(wat, &huge),
        MeteringError::RegionCostOverflow { .. }
    ));
    let grow = "(module (memory 1) (func (param i32) (result i32) local.get 0 memory.grow))";
    let max_ok = i64::MAX as u64 / u64::from(u32::MAX);
    meter(
        &wasm(grow),
        &Config::default().rules(Costly {
            each: 1,
            grow: max_ok,
        }),
    );
    let too_much = Config::default().rules(Costly {
        each: 1,
        grow: max_ok + 1,
    });
    assert!(matches!(
        error_of(grow, &too_much),
        MeteringError::DynamicCostOverflow {
            kind: HelperKind::MemoryGrow,
            ..
        }
    ));
    let indirect = "(module (table 1 funcref) (func i32.const 0 call_indirect))";
    let forbidding = Config::default().rules(Costly { each: 1, grow: 1 });
    assert!(matches!(
        error_of(indirect, &forbidding),
        MeteringError::ForbiddenInstruction { instruction, .. } if instruction == "call_indirect"
    ));
    let stack = Config::default().stack_limit(Some(u32::MAX));
    assert!(matches!(
        error_of("(module (func (local i32)))", &stack),
        MeteringError::StackCostOverflow { cost: 1, .. }
    ));
}

/// A test on an operator.
type OpTest = fn(&Operator<'_>) -> bool;

/// Rules that forbid every instruction for which the test holds.
#[derive(Debug)]
struct Forbidding(OpTest);

impl CostRules for Forbidding {
    fn instruction_cost(&self, op: &Operator<'_>) -> Option<u32> {
        (!self.0(op)).then_some(1)
    }
}

/// The module offset of the first operator of `bytes` for which `is` holds.
fn offset_of(bytes: &[u8], is: impl Fn(&Operator<'_>) -> bool) -> u64 {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            let ops = body
                .get_operators_reader()
                .unwrap()
                .into_iter_with_offsets();
            for (op, offset) in ops.map(Result::unwrap) {
                if is(&op) {
                    return offset;
                }
            }
        }
    }
    panic!("no such operator")
}

#[test]
fn a_forbidden_instruction_is_reported_where_it_stands_whatever_its_kind() {
    // `loop` and `call` open a region or are edited by the plan; `i32.add` only adds its cost.
    let wat =
        "(module (func $f (result i32) (loop (result i32) (i32.add (i32.const 1) (call $f)))))";
    let bytes = wasm(wat);
    let cases: [(&str, OpTest); 3] = [
        ("loop", |op| matches!(op, Operator::Loop { .. })),
        ("i32.add", |op| matches!(op, Operator::I32Add)),
        ("call", |op| matches!(op, Operator::Call { .. })),
    ];
    for (name, is) in cases {
        let config = Config::default().rules(Forbidding(is));
        let want = offset_of(&bytes, is);
        for error in [
            inject(&bytes, &config).unwrap_err(),
            match ewvm::metering::compile(&ewvm::wasm::Engine::default(), &bytes, &config) {
                Err(ewvm::metering::CompileMeteredError::Metering(e)) => e,
                other => panic!("{name}: expected a metering error, got {other:?}"),
            },
        ] {
            assert!(
                matches!(&error, MeteringError::ForbiddenInstruction { instruction, offset }
                    if instruction == name && *offset == want),
                "{name} at {want}: {error:?}"
            );
        }
    }
}

#[test]
fn metering_rules_are_pluggable() {
    let bytes = wasm("(module (func nop nop nop))");
    let out = print(&meter(
        &bytes,
        &Config::default().rules(Costly { each: 5, grow: 0 }),
    ));
    assert!(out.contains("i64.const 16"), "1 + 3 × 5:\n{out}");
    let ewasm = print(&meter(&bytes, &Config::default().rules(EwasmRules)));
    assert!(ewasm.contains("i64.const 4"), "{ewasm}");
}

#[test]
fn metering_helpers_charge_as_documented() {
    let source = fs::read_to_string(fixtures().join("in/bulk_ops.wat")).expect("fixture");
    let grow = fs::read_to_string(fixtures().join("in/memory_grow.wat")).expect("fixture");
    let bulk = instrument(&wasm(&source), &Config::default())
        .expect("inject")
        .layout;
    let grow = instrument(&wasm(&grow), &Config::default())
        .expect("inject")
        .layout;
    let kinds: Vec<_> = bulk
        .helpers
        .iter()
        .map(|h| (h.kind, h.gas_per_unit))
        .collect();
    assert_eq!(
        kinds,
        [(HelperKind::MemoryWords, 3), (HelperKind::TableElements, 3)]
    );
    let words = bulk.helpers[0];
    assert_eq!(
        [0, 1, 32, 33, u32::MAX].map(|n| words.charge(n)),
        [0, 3, 3, 6, 3 << 27]
    );
    let elements = bulk.helpers[1];
    assert_eq!(elements.charge(7), 21);
    let [grow] = grow.helpers[..] else {
        panic!("one grow helper: {grow:?}")
    };
    assert_eq!(grow.kind, HelperKind::MemoryGrow);
    assert_eq!(grow.charge(2), 524_288);
    assert_eq!(grow.charge(u32::MAX), 262_144 * u64::from(u32::MAX));
    assert_eq!(bulk.helper(words.func), Some(&words));
}

/// A xorshift generator, so the mutations are the same on every run.
struct Rng(u64);

impl Rng {
    /// The next pseudo-random number.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn metering_never_panics_on_mutated_input() {
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let configs = [
        Config::default(),
        Config::default().rules(PermissiveRules).allow_metered(true),
    ];
    let mut runs = 0;
    for (_, source) in inputs() {
        let bytes = wasm(&source);
        let metered = inject(&bytes, &configs[1]).expect("inject");
        for original in [&bytes, &metered] {
            for len in 0..original.len() {
                for config in &configs {
                    let _ = inject(&original[..len], config);
                }
                runs += 2;
            }
            for _ in 0..300 {
                let mut mutated = original.clone();
                for _ in 0..=rng.next() % 3 {
                    let at = (rng.next() % mutated.len() as u64) as usize;
                    mutated[at] ^= 1 << (rng.next() % 8);
                }
                for config in &configs {
                    if let Ok(out) = inject(&mutated, config) {
                        wasmparser::validate(&out).expect("accepted input gives valid output");
                    }
                }
                let _ = recognize(&mutated);
                runs += 2;
            }
        }
    }
    assert!(runs > 10_000, "{runs} runs");
}
