//! C kernels (`tools/kernels/`) under `ewvm invoke` vs. independent values and wabt's `wasm-interp`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use primitive_types::{U256, U512};
use sha3::{Digest, Keccak256};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, Module,
    RawSection, TypeSection,
};
use wasmparser::{Parser, Payload, ValType};

/// What a call gives: results normalised to `i32:N`, `i64:N`, `f32:0xBITS`, `f64:0xBITS`, or a trap.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Values(Vec<String>),
    Trap(String),
}

/// One `ewvm invoke KERNEL.wasm FUNC ARGS` call and its independently computed outcome.
struct Case {
    kernel: &'static str,
    func: &'static str,
    args: Vec<u64>,
    expect: Outcome,
}

/// Builds a case.
fn case(kernel: &'static str, func: &'static str, args: &[u64], expect: Outcome) -> Case {
    Case {
        kernel,
        func,
        args: args.to_vec(),
        expect,
    }
}

/// A single i32 result.
fn i32v(v: u32) -> Outcome {
    Outcome::Values(vec![format!("i32:{v}")])
}

/// A single i64 result.
fn i64v(v: u64) -> Outcome {
    Outcome::Values(vec![format!("i64:{v}")])
}

/// A single f64 result, compared bit for bit.
fn f64v(v: f64) -> Outcome {
    Outcome::Values(vec![format!("f64:0x{:016x}", v.to_bits())])
}

/// A trap whose message starts with `reason` (ewvm) or contains it (wabt).
fn trap(reason: &str) -> Outcome {
    Outcome::Trap(reason.to_string())
}

/// The kernel module's path.
fn kernel_path(kernel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tools/kernels/{kernel}.wasm"))
}

/// Normalises one line of `ewvm invoke` output; a float's decimal must round-trip to its bits.
fn normalise_ewvm(line: &str) -> String {
    let Some((ty @ ("f32" | "f64"), rest)) = line.split_once(':') else {
        return line.to_string();
    };
    let (decimal, bits) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(" (0x"))
        .unwrap_or_else(|| panic!("bad float output `{line}`"));
    let bits = u64::from_str_radix(bits, 16).unwrap();
    let parsed = decimal.parse::<f64>().unwrap();
    let round_trips = if ty == "f32" {
        (parsed as f32).to_bits() as u64 == bits
    } else {
        parsed.to_bits() == bits
    };
    assert!(round_trips || parsed.is_nan(), "`{line}`: decimal ≠ bits");
    let width = if ty == "f32" { 8 } else { 16 };
    format!("{ty}:0x{bits:0width$x}")
}

/// Runs `ewvm invoke` on the case.
fn run_ewvm(case: &Case) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_ewvm"))
        .arg("invoke")
        .arg(kernel_path(case.kernel))
        .arg(case.func)
        .args(case.args.iter().map(u64::to_string))
        .output()
        .expect("run ewvm");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    match output.status.code() {
        Some(0) => Outcome::Values(stdout.lines().map(normalise_ewvm).collect()),
        Some(2) => {
            assert!(stdout.is_empty(), "output despite a trap: {stdout}");
            let reason = stderr.trim_end().strip_prefix("trap: ");
            Outcome::Trap(
                reason
                    .unwrap_or_else(|| panic!("bad trap: {stderr}"))
                    .to_string(),
            )
        }
        status => panic!("ewvm exited with {status:?}: {stderr}"),
    }
}

/// Whether `wasm-interp` is on PATH (says so once if it is not).
fn wabt_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("wasm-interp")
            .arg("--version")
            .output()
            .is_ok();
        if !found {
            eprintln!("wasm-interp not found: oracle comparison skipped");
        }
        found
    })
}

/// `wasm` with one export `run() = func(args)`, floats as bits (for wabt 1.0.32), and `func`'s result types.
fn oracle_module(wasm: &[u8], func: &str, args: &[u64]) -> (Vec<u8>, Vec<ValType>) {
    // wasm-interp 1.0.32 has no --run-export/--argument: it only runs parameterless exports (with
    // --run-all-exports), and it prints floats rounded to 6 decimals, so `run` returns their bits.
    let mut func_types = Vec::new();
    let mut defined = Vec::new();
    let mut target = None;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    func_types.push(ty.unwrap());
                }
            }
            Payload::ImportSection(_) => panic!("kernels import nothing"),
            Payload::FunctionSection(reader) => {
                defined = reader.into_iter().collect::<Result<_, _>>().unwrap();
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.unwrap();
                    if export.name == func && export.kind == wasmparser::ExternalKind::Func {
                        target = Some(export.index);
                    }
                }
            }
            _ => {}
        }
    }
    let target = target.unwrap_or_else(|| panic!("no export `{func}`"));
    let ty = &func_types[defined[target as usize] as usize];
    let results = ty.results().to_vec();
    let as_int = |t: ValType| match t {
        ValType::F32 => ValType::I32,
        ValType::F64 => ValType::I64,
        other => other,
    };
    let enc = |t: ValType| RoundtripReencoder.val_type(t).unwrap();
    let mut body = Function::new(results.iter().map(|t| (1, enc(*t))));
    for (param, arg) in ty.params().iter().zip(args) {
        body.instruction(&match param {
            ValType::I32 => Instruction::I32Const(*arg as u32 as i32),
            ValType::I64 => Instruction::I64Const(*arg as i64),
            other => panic!("kernel parameter of type {other}"),
        });
    }
    body.instruction(&Instruction::Call(target));
    for local in (0..results.len() as u32).rev() {
        body.instruction(&Instruction::LocalSet(local));
    }
    for (local, t) in results.iter().enumerate() {
        body.instruction(&Instruction::LocalGet(local as u32));
        match t {
            ValType::F32 => body.instruction(&Instruction::I32ReinterpretF32),
            ValType::F64 => body.instruction(&Instruction::I64ReinterpretF64),
            _ => &mut body,
        };
    }
    body.instruction(&Instruction::End);

    let mut module = Module::new();
    let mut code = CodeSection::new();
    let mut bodies_left = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        match payload {
            Payload::TypeSection(reader) => {
                let mut types = TypeSection::new();
                RoundtripReencoder
                    .parse_type_section(&mut types, reader)
                    .unwrap();
                types
                    .ty()
                    .function([], results.iter().map(|t| enc(as_int(*t))));
                module.section(&types);
            }
            Payload::FunctionSection(reader) => {
                let mut funcs = FunctionSection::new();
                RoundtripReencoder
                    .parse_function_section(&mut funcs, reader)
                    .unwrap();
                funcs.function(func_types.len() as u32);
                module.section(&funcs);
            }
            Payload::ExportSection(_) => {
                let mut exports = ExportSection::new();
                exports.export("run", ExportKind::Func, defined.len() as u32);
                module.section(&exports);
            }
            Payload::CodeSectionStart { count, .. } => bodies_left = count,
            Payload::CodeSectionEntry(entry) => {
                let range = entry.range();
                code.raw(&wasm[range.start as usize..range.end as usize]);
                bodies_left -= 1;
                if bodies_left == 0 {
                    code.function(&body);
                    module.section(&code);
                }
            }
            Payload::CustomSection(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&RawSection {
                        id,
                        data: &wasm[range.start as usize..range.end as usize],
                    });
                }
            }
        }
    }
    (module.finish(), results)
}

/// Runs the case with `wasm-interp --run-all-exports` on its oracle module.
fn run_wabt(case: &Case, index: usize) -> Outcome {
    let wasm = std::fs::read(kernel_path(case.kernel)).unwrap();
    let (module, results) = oracle_module(&wasm, case.func, &case.args);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("oracle-{}-{}-{index}.wasm", case.kernel, case.func));
    std::fs::write(&path, module).unwrap();
    let output = Command::new("wasm-interp")
        .arg(&path)
        .arg("--run-all-exports")
        .output()
        .expect("run wasm-interp");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("run() => "))
        .unwrap_or_else(|| panic!("unexpected wasm-interp output: {stdout}"));
    if let Some(reason) = line.strip_prefix("error: ") {
        return Outcome::Trap(reason.to_string());
    }
    let values = line.split(", ").zip(&results).map(|(value, ty)| {
        let (_, n) = value.split_once(':').unwrap();
        match ty {
            ValType::F32 => format!("f32:0x{:08x}", n.parse::<u32>().unwrap()),
            ValType::F64 => format!("f64:0x{:016x}", n.parse::<u64>().unwrap()),
            _ => value.to_string(),
        }
    });
    Outcome::Values(values.collect())
}

/// Whether `got` is `expect`: for a trap, ewvm's reason starts with (wabt's contains) the expected one.
fn matches(got: &Outcome, expect: &Outcome, wabt: bool) -> bool {
    match (got, expect) {
        (Outcome::Trap(got), Outcome::Trap(want)) if wabt => got.contains(want.as_str()),
        (Outcome::Trap(got), Outcome::Trap(want)) => got.starts_with(want.as_str()),
        _ => got == expect,
    }
}

/// Runs every case through ewvm and, when available, wasm-interp; fails listing all mismatches.
fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    let mut oracle_runs = 0;
    for (index, case) in cases.iter().enumerate() {
        let call = format!("{}.wasm {}{:?}", case.kernel, case.func, case.args);
        let got = run_ewvm(case);
        if !matches(&got, &case.expect, false) {
            failures.push(format!("{call}: ewvm {got:?}, expected {:?}", case.expect));
        }
        if wabt_available() {
            oracle_runs += 1;
            let wabt = run_wabt(case, index);
            if !matches(&wabt, &case.expect, true) {
                failures.push(format!(
                    "{call}: wasm-interp {wabt:?}, expected {:?}",
                    case.expect
                ));
            }
        }
    }
    println!(
        "{} cases, {oracle_runs} compared with wasm-interp",
        cases.len()
    );
    if !wabt_available() {
        println!("wasm-interp not found: oracle comparison skipped");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The kernels' hash input: byte i is 'a' + i % 26.
fn pattern(n: u64) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The four big-endian 64-bit words of a hex digest, as word-export cases for input length `n`.
fn digest_cases(kernel: &'static str, func: &'static str, n: u64, hex: &str) -> Vec<Case> {
    let bytes = hex::decode(hex).unwrap();
    (0..4)
        .map(|i| {
            let word = u64::from_be_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap());
            case(kernel, func, &[n, i as u64], i64v(word))
        })
        .collect()
}

/// XOR of the four big-endian words of a 32-byte digest.
fn fold_digest(digest: &[u8]) -> u64 {
    digest
        .chunks(8)
        .fold(0, |acc, w| acc ^ u64::from_be_bytes(w.try_into().unwrap()))
}

/// What `keccak256_chain(n, k)` computes, with the `sha3` crate.
fn keccak_chain(n: u64, k: u64) -> u64 {
    let mut buf = pattern(n);
    let mut digest = [0u8; 32];
    for _ in 0..k {
        digest = Keccak256::digest(&buf).into();
        let m = buf.len().min(32);
        buf[..m].copy_from_slice(&digest[..m]);
    }
    fold_digest(&digest)
}

#[test]
fn keccak256() {
    let mut cases = Vec::new();
    for (n, hex) in [
        (
            0,
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        ),
        (
            3,
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
        ),
    ] {
        cases.extend(digest_cases("keccak", "keccak256_word", n, hex));
    }
    for (n, k) in [
        (0, 0),
        (0, 1),
        (3, 1),
        (135, 1),
        (136, 1),
        (137, 2),
        (300, 5),
        (1, 200),
    ] {
        cases.push(case(
            "keccak",
            "keccak256_chain",
            &[n, k],
            i64v(keccak_chain(n, k)),
        ));
    }
    check(&cases);
}

#[test]
fn sha256() {
    let mut cases = Vec::new();
    // FIPS 180-2 / NIST vectors: "", "abc", "abcdefghijklmnopqrstuvwxyz".
    for (n, hex) in [
        (
            0,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            3,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            26,
            "71c480df93d6ae2f1efad1447c66c9525e316218cf51fc8d9ed832f2daf18b73",
        ),
    ] {
        cases.extend(digest_cases("sha256", "sha256_word", n, hex));
    }
    // Computed with Python's hashlib (same chaining as the kernel).
    for (n, k, fold) in [
        (0, 1, 18046179296574869033),
        (3, 1, 18386729034164241144),
        (55, 1, 7987847878233865962),
        (56, 1, 16107291199155601351),
        (64, 1, 18021299577659083660),
        (100, 3, 16873321288293936518),
        (1024, 10, 12143928107858907690),
        (1, 1000, 6229360217465018369),
    ] {
        cases.push(case("sha256", "sha256_chain", &[n, k], i64v(fold)));
    }
    check(&cases);
}

/// SplitMix64, as in `tools/kernels/kernel.h`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e3779b97f4a7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// A 256-bit number from four SplitMix64 draws (least significant limb first).
fn draw_u256(state: &mut u64) -> U256 {
    U256([
        splitmix64(state),
        splitmix64(state),
        splitmix64(state),
        splitmix64(state),
    ])
}

/// EVM MULMOD: a * b mod m with a 512-bit product, 0 when m is 0.
fn mulmod(a: U256, b: U256, m: U256) -> U256 {
    if m.is_zero() {
        return U256::zero();
    }
    let r = a.full_mul(b) % U512::from(m);
    U256([r.0[0], r.0[1], r.0[2], r.0[3]])
}

/// XOR of a 256-bit number's limbs.
fn fold_u256(x: U256) -> u64 {
    x.0.iter().fold(0, |acc, l| acc ^ l)
}

#[test]
fn mulmod256() {
    let mut rng = 7;
    let max = U256::MAX;
    let mut operands = vec![
        (max, max, max),
        (max, max, max - 1),
        (max, max, U256::zero()),
        (max, U256::from(2), U256::one()),
        (U256::from(6), U256::from(7), U256::from(5)),
    ];
    for _ in 0..4 {
        operands.push((
            draw_u256(&mut rng),
            draw_u256(&mut rng),
            draw_u256(&mut rng),
        ));
    }
    // A small modulus, so that the reduction runs through many subtractions.
    operands.push((
        draw_u256(&mut rng),
        draw_u256(&mut rng),
        U256::from(1_000_003),
    ));
    let mut cases = Vec::new();
    for (a, b, m) in operands {
        let r = mulmod(a, b, m);
        for i in 0..4 {
            let args: Vec<u64> = [a.0, b.0, m.0].concat().into_iter().chain([i]).collect();
            cases.push(case(
                "mulmod",
                "mulmod256_limb",
                &args,
                i64v(r.0[i as usize]),
            ));
        }
    }
    for (k, seed) in [(0, 0), (1, 1), (10, 42), (300, u64::MAX)] {
        let mut state = seed;
        let (mut a, b, m) = (
            draw_u256(&mut state),
            draw_u256(&mut state),
            draw_u256(&mut state),
        );
        for _ in 0..k {
            a = mulmod(a, b, m);
        }
        cases.push(case(
            "mulmod",
            "mulmod256_chain",
            &[k, seed],
            i64v(fold_u256(a)),
        ));
    }
    check(&cases);
}

#[test]
fn bn128_montgomery() {
    let p = U256::from_str_radix(
        "21888242871839275222246405745257275088696311157297823662689037894645226208583",
        10,
    )
    .unwrap();
    let mut cases = Vec::new();
    for (k, seed) in [(0, 0), (1, 1), (2, 99), (500, 12345)] {
        let mut state = seed;
        let low253 = U256::MAX >> 3;
        let x = draw_u256(&mut state) & low253;
        let y = draw_u256(&mut state) & low253;
        let r = (0..k).fold(x % p, |acc, _| mulmod(acc, y, p));
        cases.push(case(
            "mulmod",
            "bn128_mont_chain",
            &[k, seed],
            i64v(fold_u256(r)),
        ));
    }
    check(&cases);
}

/// What `recurse(n)` computes.
fn chain_step(n: u32) -> u32 {
    (1..=n).fold(1u32, |acc, i| {
        (acc.wrapping_mul(31).wrapping_add(i)) ^ (i >> 3)
    })
}

#[test]
fn calls() {
    let mut cases: Vec<Case> = [(0, 0), (1, 1), (2, 1), (10, 55), (20, 6765), (25, 75025)]
        .into_iter()
        .map(|(n, f)| case("calls", "fib", &[n], i64v(f)))
        .collect();
    for n in [0, 1, 5, 1000] {
        cases.push(case("calls", "recurse", &[n], i32v(chain_step(n as u32))));
    }
    for (depth, k) in [(0, 1), (10, 20), (200, 30)] {
        let want = (0..k).fold(0u32, |acc, i| {
            acc.wrapping_mul(7)
                .wrapping_add(chain_step(depth + (i & 7)))
        });
        cases.push(case(
            "calls",
            "recurse_loop",
            &[depth as u64, k as u64],
            i32v(want),
        ));
    }
    check(&cases);
}

/// What `matmul(n, reps)` computes.
fn matmul(n: usize, reps: usize) -> u64 {
    let mut a: Vec<u32> = (0..n * n)
        .map(|i| (i as u32).wrapping_mul(2654435761).wrapping_add(1))
        .collect();
    let b: Vec<u32> = (0..n * n)
        .map(|c| ((c / n + 2 * (c % n)) as u32) ^ 0x5bd1e995)
        .collect();
    for _ in 0..reps {
        a = (0..n * n)
            .map(|c| {
                let (i, j) = (c / n, c % n);
                let sum = (0..n).fold(0u32, |s, k| {
                    s.wrapping_add(a[i * n + k].wrapping_mul(b[k * n + j]))
                });
                sum ^ (sum >> 15)
            })
            .collect();
    }
    a.iter().fold(0u64, |f, &x| f.rotate_left(5) ^ u64::from(x))
}

#[test]
fn memory() {
    // Prime-counting function π(n).
    let mut cases: Vec<Case> = [
        (1, 1, 0),
        (2, 1, 1),
        (100, 1, 25),
        (1000, 3, 168),
        (100_000, 2, 9592),
        (1000, 0, 0),
    ]
    .into_iter()
    .map(|(n, reps, count)| case("memory", "sieve", &[n, reps], i32v(count)))
    .collect();
    for (n, reps) in [(1, 1), (3, 0), (7, 3), (32, 4), (40, 2)] {
        cases.push(case(
            "memory",
            "matmul",
            &[n, reps],
            i64v(matmul(n as usize, reps as usize)),
        ));
    }
    check(&cases);
}

/// What `bulk(n, k)` computes.
fn bulk(n: u32, k: u32) -> u64 {
    let size = 2 * n as usize;
    let mut buf = vec![0x5au8; size];
    for i in 0..k {
        let (dst, src) = (
            (i.wrapping_mul(7919) % n) as usize,
            (i.wrapping_mul(31) % n) as usize,
        );
        buf.copy_within(src..src + (n / 2) as usize, dst);
        let at = (i.wrapping_mul(13) % n) as usize;
        let len = (i % 61).min(n) as usize;
        buf[at..at + len].fill(i as u8);
        buf[i as usize % size] = buf[i as usize % size].wrapping_add(1);
    }
    buf.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn bulk_memory() {
    let cases: Vec<Case> = [(1, 0), (1, 5), (64, 100), (1000, 500), (4096, 50)]
        .into_iter()
        .map(|(n, k)| case("bulk", "bulk", &[n as u64, k as u64], i64v(bulk(n, k))))
        .collect();
    check(&cases);
}

/// What `mandelbrot(size, max_iter)` computes.
fn mandelbrot(size: u32, max_iter: u32) -> u32 {
    let mut inside = 0;
    for py in 0..size {
        let ci = -1.25 + 2.5 * f64::from(py) / f64::from(size);
        for px in 0..size {
            let cr = -2.0 + 2.5 * f64::from(px) / f64::from(size);
            let (mut zr, mut zi, mut iter) = (0.0f64, 0.0f64, 0);
            while iter < max_iter && zr * zr + zi * zi <= 4.0 {
                let t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                iter += 1;
            }
            inside += u32::from(iter == max_iter);
        }
    }
    inside
}

/// What `nbody(steps)` computes: the Benchmarks Game n-body energy, in the kernel's operation order.
#[allow(clippy::excessive_precision)] // The Benchmarks Game's literals, verbatim as in float.c.
fn nbody(steps: u32) -> f64 {
    use std::f64::consts::PI;
    const SOLAR_MASS: f64 = 4.0 * PI * PI;
    const DPY: f64 = 365.24;
    // x, y, z, vx, vy, vz, mass
    let mut b: [[f64; 7]; 5] = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS],
        [
            4.84143144246472090e+00,
            -1.16032004402742839e+00,
            -1.03622044471123109e-01,
            1.66007664274403694e-03 * DPY,
            7.69901118419740425e-03 * DPY,
            -6.90460016972063023e-05 * DPY,
            9.54791938424326609e-04 * SOLAR_MASS,
        ],
        [
            8.34336671824457987e+00,
            4.12479856412430479e+00,
            -4.03523417114321381e-01,
            -2.76742510726862411e-03 * DPY,
            4.99852801234917238e-03 * DPY,
            2.30417297573763929e-05 * DPY,
            2.85885980666130812e-04 * SOLAR_MASS,
        ],
        [
            1.28943695621391310e+01,
            -1.51111514016986312e+01,
            -2.23307578892655734e-01,
            2.96460137564761618e-03 * DPY,
            2.37847173959480950e-03 * DPY,
            -2.96589568540237556e-05 * DPY,
            4.36624404335156298e-05 * SOLAR_MASS,
        ],
        [
            1.53796971148509165e+01,
            -2.59193146099879641e+01,
            1.79258772950371181e-01,
            2.68067772490389322e-03 * DPY,
            1.62824170038242295e-03 * DPY,
            -9.51592254519715870e-05 * DPY,
            5.15138902046611451e-05 * SOLAR_MASS,
        ],
    ];
    let mut p = [0.0f64; 3];
    for body in &b {
        for (d, pd) in p.iter_mut().enumerate() {
            *pd += body[3 + d] * body[6];
        }
    }
    for d in 0..3 {
        b[0][3 + d] = -p[d] / SOLAR_MASS;
    }
    let diff = |b: &[[f64; 7]; 5], i: usize, j: usize| {
        let (dx, dy, dz) = (b[i][0] - b[j][0], b[i][1] - b[j][1], b[i][2] - b[j][2]);
        ([dx, dy, dz], dx * dx + dy * dy + dz * dz)
    };
    for _ in 0..steps {
        for i in 0..5 {
            for j in i + 1..5 {
                let (d, d2) = diff(&b, i, j);
                let mag = 0.01 / (d2 * d2.sqrt());
                for k in 0..3 {
                    b[i][3 + k] -= d[k] * b[j][6] * mag;
                }
                for k in 0..3 {
                    b[j][3 + k] += d[k] * b[i][6] * mag;
                }
            }
        }
        for body in &mut b {
            for k in 0..3 {
                body[k] += 0.01 * body[3 + k];
            }
        }
    }
    let mut e = 0.0;
    for i in 0..5 {
        let v2 = b[i][3] * b[i][3] + b[i][4] * b[i][4] + b[i][5] * b[i][5];
        e += 0.5 * b[i][6] * v2;
        for j in i + 1..5 {
            e -= b[i][6] * b[j][6] / diff(&b, i, j).1.sqrt();
        }
    }
    e
}

#[test]
fn float() {
    // The Benchmarks Game's published outputs for 0 and 1000 steps pin the reimplementation.
    assert_eq!(format!("{:.9}", nbody(0)), "-0.169075164");
    assert_eq!(format!("{:.9}", nbody(1000)), "-0.169087605");
    let mut cases: Vec<Case> = [0, 1, 10, 1000]
        .into_iter()
        .map(|steps| case("float", "nbody", &[steps as u64], f64v(nbody(steps))))
        .collect();
    for (size, max_iter) in [(0, 10), (1, 1), (16, 50), (64, 100)] {
        cases.push(case(
            "float",
            "mandelbrot",
            &[size as u64, max_iter as u64],
            i32v(mandelbrot(size, max_iter)),
        ));
    }
    check(&cases);
}

#[test]
fn traps() {
    let minus = |v: i32| v as u32 as u64;
    check(&[
        case("traps", "div_s", &[7, minus(-2)], i32v(-3i32 as u32)),
        case("traps", "div_s", &[1, 0], trap("integer divide by zero")),
        case(
            "traps",
            "div_s",
            &[minus(i32::MIN), minus(-1)],
            trap("integer overflow"),
        ),
        case("traps", "rem_u", &[7, 3], i32v(1)),
        case("traps", "rem_u", &[7, 0], trap("integer divide by zero")),
        case("traps", "load32", &[1024], i32v(0)),
        case("traps", "load32", &[131_068], i32v(0)),
        case(
            "traps",
            "load32",
            &[131_069],
            trap("out of bounds memory access"),
        ),
        case(
            "traps",
            "load32",
            &[0xffff_fff0],
            trap("out of bounds memory access"),
        ),
        case("traps", "check_nonzero", &[9], i32v(9)),
        case("traps", "check_nonzero", &[0], trap("unreachable")),
        case("traps", "scale_trunc", &[2], i32v(2_000_000_000)),
        case("traps", "scale_trunc", &[3], trap("integer overflow")),
        case(
            "traps",
            "scale_trunc",
            &[minus(-3)],
            trap("integer overflow"),
        ),
        case(
            "traps",
            "scale_trunc",
            &[0],
            trap("invalid conversion to integer"),
        ),
        case(
            "calls",
            "recurse",
            &[100_000_000],
            trap("call stack exhausted"),
        ),
    ]);
}

/// The operators of a module, by their `Debug` name (e.g. `MemoryCopy`).
fn operator_names(kernel: &str) -> Vec<String> {
    let wasm = std::fs::read(kernel_path(kernel)).unwrap();
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut reader = body.get_operators_reader().unwrap();
            while !reader.eof() {
                let op = format!("{:?}", reader.read().unwrap());
                names.push(op.split([' ', '{']).next().unwrap().to_string());
            }
        }
    }
    names
}

#[test]
fn kernels_contain_the_instructions_they_cover() {
    for (kernel, op) in [
        ("bulk", "MemoryCopy"),
        ("bulk", "MemoryFill"),
        ("calls", "CallIndirect"),
        ("calls", "Call"),
        ("float", "F64Sqrt"),
        ("memory", "MemoryGrow"),
        ("mulmod", "I64Mul"),
        ("traps", "I32TruncF64S"),
    ] {
        assert!(
            operator_names(kernel).iter().any(|o| o == op),
            "{kernel}.wasm has no {op}"
        );
    }
}

#[test]
fn committed_modules_match_their_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/kernels");
    if Command::new("clang-14").arg("--version").output().is_err() {
        eprintln!("clang-14 not found: rebuild check skipped");
        return;
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kernels-rebuild");
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("sh")
        .arg(dir.join("build.sh"))
        .env("OUT", &out)
        .status()
        .unwrap();
    assert!(status.success(), "build.sh failed");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "c") {
            let name = path.with_extension("wasm");
            let name = name.file_name().unwrap();
            assert_eq!(
                std::fs::read(dir.join(name)).unwrap(),
                std::fs::read(out.join(name)).unwrap(),
                "{name:?} is stale: run tools/kernels/build.sh"
            );
        }
    }
}

/// Benchmark-size calls (about a second each in ewvm today; see `tools/README.md`).
const BENCHMARKS: &[(&str, &str, &[u64])] = &[
    ("keccak", "keccak256_chain", &[1024, 5000]),
    ("sha256", "sha256_chain", &[1024, 4000]),
    ("mulmod", "mulmod256_chain", &[10_000, 1]),
    ("mulmod", "bn128_mont_chain", &[200_000, 1]),
    ("calls", "fib", &[35]),
    ("calls", "recurse_loop", &[1000, 10_000]),
    ("memory", "sieve", &[1_000_000, 10]),
    ("memory", "matmul", &[128, 12]),
    ("bulk", "bulk", &[65536, 1_000_000]),
    ("float", "mandelbrot", &[512, 128]),
    ("float", "nbody", &[400_000]),
];

#[test]
#[ignore = "slow: run with --ignored to compare ewvm and wasm-interp at benchmark sizes"]
fn benchmark_sizes_agree_with_wasm_interp() {
    if !wabt_available() {
        println!("wasm-interp not found: oracle comparison skipped");
        return;
    }
    let mut failures = Vec::new();
    for (index, (kernel, func, args)) in BENCHMARKS.iter().enumerate() {
        let call = case(kernel, func, args, Outcome::Values(Vec::new()));
        let (ewvm, wabt) = (run_ewvm(&call), run_wabt(&call, index));
        println!("{kernel}.wasm {func}{args:?}: ewvm {ewvm:?}, wasm-interp {wabt:?}");
        if ewvm != wabt {
            failures.push(format!("{kernel}.wasm {func}{args:?}"));
        }
    }
    assert!(failures.is_empty(), "ewvm ≠ wasm-interp: {failures:?}");
}
