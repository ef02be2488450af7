//! Operand forms of the internal code (see `ewvm::wasm::ir`). The accumulator: a value that one
//! instruction produces and the next consumes is passed in a register instead of a frame slot.
//! Immediates: a small integer constant as a second operand is part of the instruction. Each
//! export below chains operators so that every form is used (accumulator as result of
//! arithmetic and loads; first and second operand of arithmetic; unary operand; load and store
//! address; stored value; branch condition; compare-and-branch operand; immediates at and just
//! past the 31-bit bounds, 32- and 64-bit, in arithmetic and compare-and-branches; f64 values in
//! the float accumulator, and bits passing between the two; loads and stores at a fused
//! `i32.add`'s sum, wrapping and out of bounds; counted loops, an add and the branch on its
//! result, and a label between the two), and is checked against the same computation in Rust.

use ewvm::wasm::{Engine, Error, Linker, Module, Store, TrapCode, Val};

const CHAINS: &str = r#"(module
  (memory 1)
  ;; store address and loaded address from the accumulator; the load's result as operand b
  (func (export "addr") (param $x i32) (param $y i32) (result i32)
    (i32.store (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2)) (local.get $y))
    (i32.add (local.get $x)
             (i32.load (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2)))))
  ;; stored value from the accumulator, read back at an offset
  (func (export "value") (param $x i32) (param $y i32) (result i32)
    (i32.store offset=8 (i32.const 4) (i32.mul (local.get $x) (local.get $y)))
    (i32.load (i32.const 12)))
  ;; unary and binary operands a and b, 32- and 64-bit
  (func (export "arith") (param $x i32) (param $y i32) (result i64)
    (i64.add
      (i64.extend_i32_u (i32.sub (i32.clz (local.get $x)) (i32.popcnt (i32.xor (local.get $x) (local.get $y)))))
      (i64.mul (i64.const 3) (i64.rotl (i64.extend_i32_s (local.get $y)) (i64.extend_i32_u (local.get $x))))))
  ;; a branch condition and a fused compare's operand from the accumulator
  (func (export "branch") (param $x i32) (param $y i32) (result i32)
    (block $odd
      (block $wraps
        (br_if $odd (i32.and (local.get $x) (i32.const 1)))
        (br_if $wraps (i32.lt_u (i32.add (local.get $x) (local.get $y)) (local.get $y)))
        (return (i32.const 1)))
      (return (i32.const 2)))
    (i32.const 3))
  ;; floats through the accumulator
  (func (export "float") (param $x i32) (param $y i32) (result i32)
    (i32.trunc_sat_f64_s
      (f64.mul (f64.convert_i32_s (local.get $x)) (f64.sqrt (f64.convert_i32_u (local.get $y))))))
  ;; f64 values through the float accumulator: an f64 result stored, loaded back as an operand,
  ;; through the sign operations, and reinterpreted (bits pass between the two accumulators)
  (func (export "f64") (param $x i32) (param $y i32) (result i64)
    (f64.store (i32.const 16)
      (f64.div (f64.convert_i32_s (local.get $x)) (f64.convert_i32_u (local.get $y))))
    (i64.reinterpret_f64
      (f64.copysign
        (f64.neg (f64.abs (f64.add (f64.load (i32.const 16))
                                   (f64.reinterpret_i64 (i64.extend_i32_u (local.get $y))))))
        (f64.promote_f32 (f32.demote_f64 (f64.sub (f64.load (i32.const 16)) (f64.const 0.5)))))))
  ;; an f64 comparison as a branch condition
  (func (export "f64cmp") (param $x i32) (param $y i32) (result i32)
    (block $small
      (br_if $small (f64.lt (f64.mul (f64.convert_i32_s (local.get $x))
                                     (f64.convert_i32_s (local.get $y)))
                            (f64.const 100)))
      (return (i32.const 1)))
    (i32.const 2))
  ;; loads and stores at the sum of two operands (an i32.add fused into the access): the sum
  ;; wraps at 32 bits before the bounds check, and an out-of-bounds sum traps
  (func (export "sum") (param $x i32) (param $y i32) (result i64)
    (i32.store16 (i32.add (local.get $x) (i32.const 32)) (local.get $y))
    (i64.store (i32.add (local.get $x) (local.get $y)) (i64.extend_i32_u (local.get $y)))
    (i64.add
      (i64.load8_s (i32.add (local.get $x) (i32.const 33)))
      (i64.add (i64.load (i32.add (i32.mul (local.get $y) (i32.const 1)) (local.get $x)))
               (i64.extend_i32_u (i32.load16_u (i32.add (local.get $x) (i32.const 32)))))))
  ;; counted loops: an add into a local and the compare-and-branch on it (one instruction),
  ;; forward and backward, immediate and slot steps and bounds, wrapping, signed and unsigned,
  ;; the local on either side of the comparison
  (func (export "count") (param $x i32) (param $y i32) (result i64)
    (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_s (local.tee $x (i32.add (local.get $x) (i32.const 0x10000000)))
                               (local.get $y)))
        (br_if $l (i32.gt_u (i32.const 20)
                            (local.tee $n (i32.add (local.get $n) (i32.const 1)))))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 32))
            (i64.extend_i32_u (local.get $x))))
  (func (export "count64") (param $x i32) (param $y i32) (result i64)
    (local $i i64) (local $s i64) (local $n i64)
    (local.set $i (i64.extend_i32_s (local.get $x)))
    (local.set $s (i64.shl (i64.extend_i32_u (local.get $y)) (i64.const 31)))
    (block $done
      (loop $l
        (br_if $done (i64.gt_u (local.tee $i (i64.add (local.get $i) (local.get $s)))
                               (i64.const 0x7000000000000000)))
        (br_if $l (i64.ne (local.tee $n (i64.add (local.get $n) (i64.const 1)))
                          (i64.const 12)))))
    (i64.xor (local.get $i) (local.get $n)))
  ;; a label between an add and a compare-and-branch of its local: no fusion (a branch to the
  ;; label must not skip into the middle of one instruction)
  (func (export "label") (param $x i32) (param $y i32) (result i32)
    (block $b
      (br_if $b (local.get $y))
      (local.set $x (i32.add (local.get $x) (i32.const 5))))
    (block $seven
      (br_if $seven (i32.eq (local.get $x) (i32.const 7)))
      (return (i32.const 2)))
    (i32.const 1))
  ;; a trap in the middle of a chain
  (func (export "div") (param $x i32) (param $y i32) (result i32)
    (i32.add (i32.const 1) (i32.div_u (local.get $x) (i32.and (local.get $y) (i32.const 7)))))
  ;; immediates at and past the 31-bit bounds
  (func (export "imm32") (param $x i32) (param $y i32) (result i32)
    (i32.and
      (i32.add
        (i32.mul
          (i32.xor (i32.add (local.get $x) (i32.const 1073741823))
                   (i32.sub (local.get $y) (i32.const -1073741824)))
          (i32.const 1073741824))
        (i32.const -1))
      (i32.const -1073741825)))
  (func (export "imm64") (param $x i32) (param $y i32) (result i64)
    (i64.shr_u
      (i64.xor
        (i64.add (i64.extend_i32_s (local.get $x)) (i64.const -1073741824))
        (i64.mul (i64.extend_i32_u (local.get $y)) (i64.const 4294967295)))
      (i64.const 3)))
  (func (export "imm_branch") (param $x i32) (param $y i32) (result i32)
    (block $low
      (block $wide
        (br_if $low (i32.lt_s (local.get $x) (i32.const -5)))
        (br_if $wide (i64.ge_u (i64.extend_i32_u (local.get $y)) (i64.const 1073741823)))
        (return (i32.const 1)))
      (return (i32.const 2)))
    (i32.const 3))
  ;; `drop` uncovers an older temporary: the branch tests it, not the dropped comparison
  (func (export "dropped") (param $x i32) (param $y i32) (result i32)
    (block $b (result i32)
      (i32.const 5)
      (i32.eqz (local.get $x))
      (i32.lt_u (local.get $x) (local.get $y))
      (drop)
      (br_if $b)
      (drop)
      (i32.const 6))))"#;

type Reference = fn(u32, u32) -> Result<Val, TrapCode>;

fn references() -> Vec<(&'static str, Reference)> {
    vec![
        ("addr", |x, y| Ok(Val::I32(x.wrapping_add(y) as i32))),
        ("value", |x, y| Ok(Val::I32(x.wrapping_mul(y) as i32))),
        ("arith", |x, y| {
            let low = x.leading_zeros().wrapping_sub((x ^ y).count_ones());
            let rot = (y as i32 as i64).rotate_left(x % 64);
            Ok(Val::I64((low as i64).wrapping_add(rot.wrapping_mul(3))))
        }),
        ("branch", |x, y| {
            let r = if x & 1 != 0 {
                3
            } else if x.wrapping_add(y) < y {
                2
            } else {
                1
            };
            Ok(Val::I32(r))
        }),
        ("float", |x, y| {
            Ok(Val::I32(((x as i32) as f64 * (y as f64).sqrt()) as i32))
        }),
        ("f64", |x, y| {
            let canon = |v: f64| {
                if v.is_nan() {
                    f64::from_bits(0x7ff8 << 48)
                } else {
                    v
                }
            };
            let canon32 = |v: f32| {
                if v.is_nan() {
                    f32::from_bits(0x7fc0 << 16)
                } else {
                    v
                }
            };
            let q = canon(x as i32 as f64 / y as f64);
            let sum = canon(q + f64::from_bits(y as u64));
            let sign = canon(canon32(canon(q - 0.5) as f32) as f64);
            Ok(Val::I64((-sum.abs()).copysign(sign).to_bits() as i64))
        }),
        ("f64cmp", |x, y| {
            let small = (x as i32 as f64) * (y as i32 as f64) < 100.0;
            Ok(Val::I32(if small { 2 } else { 1 }))
        }),
        ("sum", |x, y| {
            // One 64 KiB page: every access is in bounds iff its wrapped address fits.
            let fits = |addr: u32, n: u32| u64::from(addr) + u64::from(n) <= 65536;
            let (low, sum) = (x.wrapping_add(32), x.wrapping_add(y));
            if !fits(low, 2) || !fits(sum, 8) {
                return Err(TrapCode::MemoryOutOfBounds);
            }
            let mut mem = vec![0u8; 65536];
            mem[low as usize..][..2].copy_from_slice(&(y as u16).to_le_bytes());
            mem[sum as usize..][..8].copy_from_slice(&u64::from(y).to_le_bytes());
            let byte = |a: u32| mem.get(a as usize).copied();
            let Some(b33) = byte(x.wrapping_add(33)) else {
                return Err(TrapCode::MemoryOutOfBounds);
            };
            let word = u64::from_le_bytes(mem[sum as usize..][..8].try_into().unwrap());
            let half = u16::from_le_bytes(mem[low as usize..][..2].try_into().unwrap());
            let total = (b33 as i8 as i64)
                .wrapping_add(word as i64)
                .wrapping_add(i64::from(half));
            Ok(Val::I64(total))
        }),
        ("count", |mut x, y| {
            let mut n = 0u32;
            loop {
                x = x.wrapping_add(0x1000_0000);
                if x as i32 >= y as i32 {
                    break;
                }
                n += 1;
                if n >= 20 {
                    break;
                }
            }
            Ok(Val::I64(((u64::from(n) << 32) | u64::from(x)) as i64))
        }),
        ("count64", |x, y| {
            let (mut i, s, mut n) = (x as i32 as i64 as u64, u64::from(y) << 31, 0u64);
            loop {
                i = i.wrapping_add(s);
                if i > 0x7000_0000_0000_0000 {
                    break;
                }
                n += 1;
                if n == 12 {
                    break;
                }
            }
            Ok(Val::I64((i ^ n) as i64))
        }),
        ("label", |x, y| {
            let x = if y == 0 { x.wrapping_add(5) } else { x };
            Ok(Val::I32(if x == 7 { 1 } else { 2 }))
        }),
        ("div", |x, y| match y & 7 {
            0 => Err(TrapCode::IntegerDivideByZero),
            d => Ok(Val::I32((x / d).wrapping_add(1) as i32)),
        }),
        ("dropped", |x, _| Ok(Val::I32(if x == 0 { 5 } else { 6 }))),
        ("imm32", |x, y| {
            let v = (x.wrapping_add(1_073_741_823) ^ y.wrapping_sub(-1_073_741_824i32 as u32))
                .wrapping_mul(1 << 30)
                .wrapping_add(u32::MAX);
            Ok(Val::I32((v & (-1_073_741_825i32 as u32)) as i32))
        }),
        ("imm64", |x, y| {
            let a = (x as i32 as i64).wrapping_add(-1_073_741_824);
            let b = (y as u64).wrapping_mul(0xffff_ffff) as i64;
            Ok(Val::I64(((a ^ b) as u64 >> 3) as i64))
        }),
        ("imm_branch", |x, y| {
            let r = if (x as i32) < -5 {
                3
            } else if u64::from(y) >= 1_073_741_823 {
                2
            } else {
                1
            };
            Ok(Val::I32(r))
        }),
    ]
}

#[test]
fn chains_through_the_accumulator_compute_what_the_operators_say() {
    let engine = Engine::default();
    let module = Module::from_wat(&engine, CHAINS).unwrap();
    let values = [
        0u32,
        1,
        2,
        3,
        7,
        8,
        255,
        256,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffe,
        u32::MAX,
    ];
    let mut checked = 0;
    for (name, reference) in references() {
        for &x in &values {
            for &y in &values {
                let mut store = Store::new(&engine, ());
                let instance = Linker::new().instantiate(&mut store, &module).unwrap();
                let func = instance.get_func(&store, name).unwrap();
                let ty = func.ty(&store);
                let mut out = vec![Val::default_for(ty.results()[0])];
                let got = func
                    .call(
                        &mut store,
                        &[Val::I32(x as i32), Val::I32(y as i32)],
                        &mut out,
                    )
                    .map(|()| out[0])
                    .map_err(|e| match e {
                        Error::Trap(trap) => trap.code().expect("a trap code"),
                        other => panic!("{name}: {other}"),
                    });
                assert_eq!(got, reference(x, y), "{name}({x:#x}, {y:#x})");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 16 * 144);
}

#[test]
fn small_constants_are_immediates() {
    let engine = Engine::default();
    let module = Module::from_wat(&engine, CHAINS).unwrap();
    let code = module.disassemble();
    let imm = |v: i32| (v as u32 & !ewvm::wasm::ir::IMM) | ewvm::wasm::ir::IMM;
    // 2^30 - 1, -2^30, -1, 3 and -5 fit in 31 bits. (2^30, -2^30 - 1 and 2^32 - 1 do not: were
    // they truncated into immediates, `imm32` and `imm64` would compute other values.)
    for v in [1_073_741_823, -1_073_741_824, -1, 3, -5] {
        assert!(
            code.contains(&format!("b: {}", imm(v))),
            "{v} is no immediate in\n{code}"
        );
    }
}

#[test]
fn adjacent_producers_and_consumers_use_the_accumulator() {
    let engine = Engine::default();
    let module = Module::from_wat(&engine, CHAINS).unwrap();
    let code = module.disassemble();
    let acc = ewvm::wasm::ir::ACC.to_string();
    for form in [
        format!("addr: {acc}"),
        format!("val: {acc}"),
        format!("dst: {acc}"),
        format!("a: {acc}"),
        format!("b: {acc}"),
        format!("src: {acc}"),
        format!("cond: {acc}"),
        "I64LoadSum".to_string(),
        "I32Load16USum".to_string(),
        "I32Store16Sum".to_string(),
        "AddBrI32GeS".to_string(),
        "AddBrI32LtU".to_string(),
        "AddBrI64GtU".to_string(),
        "AddBrI64Ne".to_string(),
    ] {
        assert!(code.contains(&form), "no `{form}` in\n{code}");
    }
}

#[test]
fn frames_copy_only_the_constants_read_from_slots() {
    let engine = Engine::default();
    let wat = r#"(module
      (func (export "imm") (param i32) (result i32) (i32.add (local.get 0) (i32.const 7)))
      (func (export "slot") (param i32) (result i32)
        (i32.add (i32.const 7) (i32.add (local.get 0) (i32.const 0x7fffffff)))))"#;
    let module = Module::from_wat(&engine, wat).unwrap();
    let code = module.disassemble();
    // `imm` uses 7 only as an immediate; `slot` reads 7 (a first operand) and 2^31 - 1 (too
    // large for an immediate) from their slots.
    let headers: Vec<&str> = code.lines().filter(|l| l.starts_with("func")).collect();
    assert!(headers[0].ends_with("consts []"), "{code}");
    assert!(headers[1].ends_with("consts [7, 2147483647]"), "{code}");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    for (name, expected) in [
        ("imm", 12),
        ("slot", 7i32.wrapping_add(5).wrapping_add(i32::MAX)),
    ] {
        let func = instance.get_func(&store, name).unwrap();
        let mut out = [Val::I32(0)];
        func.call(&mut store, &[Val::I32(5)], &mut out).unwrap();
        assert_eq!(out[0], Val::I32(expected), "{name}");
    }
}

#[test]
fn an_add_and_a_branch_fuse_only_without_a_label_between() {
    let engine = Engine::default();
    let func = |branch_to_label: &str| {
        format!(
            r#"(module (func (param $x i32) (param $y i32) (result i32)
              (block $b
                {branch_to_label}
                (local.set $x (i32.add (local.get $x) (i32.const 5))))
              (block $seven
                (br_if $seven (i32.eq (local.get $x) (i32.const 7)))
                (return (i32.const 2)))
              (i32.const 1)))"#
        )
    };
    let code = |wat: String| Module::from_wat(&engine, wat).unwrap().disassemble();
    assert!(code(func("")).contains("AddBrI32Eq"));
    let labelled = code(func("(br_if $b (local.get $y))"));
    assert!(!labelled.contains("AddBr"), "{labelled}");
    assert!(labelled.contains("BrI32Eq"), "{labelled}");
}

/// A module whose `run` fills the frame slots with `dirty` values, then calls `probe` (with
/// `locals` declared `i64` locals and body `body`) on its argument in the same slots.
fn probe_module(locals: usize, body: &str) -> String {
    let dirty: String = (1..=48)
        .map(|i| format!("(local.set {i} (local.get 0))"))
        .collect();
    let declared = "i64 ".repeat(locals);
    format!(
        r#"(module
          (func $dirty (param i64) (local {dirty_locals}) {dirty})
          (func $probe (export "probe") (param $c i32) (result i64) (local {declared}) {body})
          (func (export "run") (param i32) (result i64)
            (call $dirty (i64.const -1))
            (call $probe (local.get 0))))"#,
        dirty_locals = "i64 ".repeat(48),
    )
}

#[test]
fn locals_read_before_written_read_zero_and_others_are_not_zeroed() {
    let engine = Engine::default();
    // (body, result for argument 0, result for argument 1, locals zeroed on entry); local 1 is
    // the first declared one. Each body is tried with 4 locals (zeros copied with the
    // constants) and 40 (zeroed with a fill), the probed ones near the end.
    let cases = |n: usize| {
        let (a, b) = (n - 2, n - 1); // two declared locals near the end
        [
            // Written only on one path, then read: needs its zero.
            (
                format!("(if (local.get $c) (then (local.set {a} (i64.const 7)))) (local.get {a})"),
                0,
                7,
                n - a + 1,
            ),
            // Read, then written at the top level: needs its zero.
            (
                format!(
                    "(local.set {b} (local.get {a})) (local.set {a} (i64.const 5))
                     (i64.add (i64.mul (local.get {b}) (i64.const 100)) (local.get {a}))"
                ),
                5,
                5,
                n - a + 1,
            ),
            // First accessed in a loop that reads it before it writes it.
            (
                format!(
                    "(loop $l (local.set {a} (i64.add (local.get {a}) (i64.const 1)))
                       (br_if $l (i64.lt_u (local.get {a}) (i64.const 3))))
                     (local.get {a})"
                ),
                3,
                3,
                n - a + 1,
            ),
            // Written at the top level first, and only then read, also in a block and a loop:
            // no zeroing at all.
            (
                format!(
                    "(local.set {a} (i64.extend_i32_u (local.get $c))) (local.set {b} (i64.const 9))
                     (block (local.set {b} (i64.add (local.get {b}) (local.get {a}))))
                     (loop $l (br_if $l (i64.eqz (local.get {b}))))
                     (i64.add (local.get {a}) (local.get {b}))"
                ),
                9,
                11,
                0,
            ),
            // A write at the top level after the only path that reads it ended by a return.
            (
                format!(
                    "(block (br_if 0 (local.get $c)) (return (local.get {a})))
                     (local.set {a} (i64.const 4)) (local.get {a})"
                ),
                0,
                4,
                n - a + 1,
            ),
        ]
    };
    for n in [4, 40] {
        for (body, for_0, for_1, zeroes) in cases(n) {
            let module = Module::from_wat(&engine, probe_module(n, &body)).unwrap();
            let code = module.disassemble();
            let header = code
                .lines()
                .filter(|l| l.starts_with("func"))
                .nth(1)
                .unwrap();
            let expected = format!("locals {n}, zeroes {zeroes},");
            assert!(
                header.contains(&expected),
                "{expected} in {header}, body {body}"
            );
            let mut store = Store::new(&engine, ());
            let instance = Linker::new().instantiate(&mut store, &module).unwrap();
            let run = instance.get_func(&store, "run").unwrap();
            for (arg, expected) in [(0, for_0), (1, for_1)] {
                let mut out = [Val::I64(0)];
                run.call(&mut store, &[Val::I32(arg)], &mut out).unwrap();
                assert_eq!(out[0], Val::I64(expected), "n {n}, arg {arg}, body {body}");
            }
        }
    }
}

#[test]
fn a_store_never_sees_what_an_earlier_one_left_on_its_reused_value_stack() {
    let engine = Engine::default();
    // Local 30 is read before it is written, so it must read zero (it is zeroed on entry).
    let body = "(if (local.get $c) (then (local.set 30 (i64.const 7)))) (local.get 30)";
    let module = Module::from_wat(&engine, probe_module(40, body)).unwrap();
    for round in 0..3 {
        // The first store leaves -1 in the slots; the second, given its stack, reads zero.
        let mut dirty = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut dirty, &module).unwrap();
        let run = instance.get_func(&dirty, "run").unwrap();
        let mut out = [Val::I64(0)];
        run.call(&mut dirty, &[Val::I32(1)], &mut out).unwrap();
        assert_eq!(out[0], Val::I64(7));
        drop(dirty);
        let mut store = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let probe = instance.get_func(&store, "probe").unwrap();
        probe.call(&mut store, &[Val::I32(0)], &mut out).unwrap();
        assert_eq!(out[0], Val::I64(0), "round {round}");
    }
}
