//! The executor: one loop over the internal code (see [`super::ir`]) with an explicit frame
//! stack, so Wasm calls never recurse on the host stack.

mod cold;
mod num;
mod view;

use std::sync::Arc;

use cold::{call_host, table_copy, table_fill, table_grow, table_init};
use num::{canon, checked, div_s, fmax, fmin, trunc_checked, Slot, I32_S, I32_U, I64_S, I64_U};
use view::{GlobalsView, MemView};

use super::error::{Trap, TrapCode};
use super::func::Caller;
use super::gas::GasCharge;
use super::ir::{Op, RETURN_TARGET};
use super::store::{FuncEntity, Store, PAGE_SIZE};
use super::translate::TranslatedFunc;
use super::value::Val;

/// Calls store function `func` with `args`, writing its results to `results`.
/// The caller has checked the argument and result types.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Trap> {
    let (instance, index) = match &store.funcs[func as usize] {
        FuncEntity::Host { func, .. } => {
            let func = func.clone();
            return func(
                Caller {
                    store,
                    instance: None,
                },
                args,
                results,
            );
        }
        FuncEntity::Wasm {
            instance, index, ..
        } => (*instance, *index),
    };
    let mut stack = std::mem::take(&mut store.stack);
    if stack.is_empty() {
        stack = vec![0; store.engine.config().max_value_stack as usize];
    }
    let outcome = if args.len() > stack.len() {
        Err(TrapCode::CallStackExhausted.into())
    } else {
        for (slot, arg) in stack.iter_mut().zip(args) {
            *slot = arg.to_slot();
        }
        run(store, &mut stack, instance, index, args.len())
    };
    if outcome.is_ok() {
        let ty = store.func_type(func);
        for ((out, ty), slot) in results.iter_mut().zip(ty.results()).zip(&stack) {
            *out = Val::from_slot(*ty, *slot);
        }
    }
    store.stack = stack;
    outcome
}

/// Where to resume the caller after a return.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ret_ip: *const Op,
    sp: *mut u64,
    instance: u32,
}

/// Runs defined function `index` of instance `instance`, whose `nargs` arguments are at the
/// bottom of `s`; leaves its results there.
///
/// The hot state lives in raw pointers: `ip` points at the next op, `sp` at slot 0 of the current
/// frame. SAFETY of the unchecked slot accesses: the translator names only slots below the
/// function's `frame_size`, and a frame is entered only after checking that it fits in `s`
/// (see `enter!`); branch targets and `br_table` entries are indices the translator resolved
/// inside the same module's code, and every function body ends in a return or a trap.
fn run<T>(
    store: &mut Store<T>,
    s: &mut [u64],
    mut instance: u32,
    index: u32,
    nargs: usize,
) -> Result<(), Trap> {
    let max_depth = store.engine.config().max_call_depth as usize;
    let max_pages = store.engine.config().max_memory_pages;
    let max_elements = store.engine.config().max_table_elements;
    let stack_end = s.as_mut_ptr_range().end as usize;
    let mut frames: Vec<Frame> = Vec::with_capacity(max_depth.min(256));
    let mut sp: *mut u64 = s.as_mut_ptr();
    let mut ip: *const Op;
    {
        let module = &store.instances[instance as usize].module.inner;
        let f = module.funcs[index as usize];
        if f.frame_size as usize > s.len() || nargs != f.params as usize {
            return Err(TrapCode::CallStackExhausted.into());
        }
        // SAFETY: the frame fits in `s` (checked above) and `entry` is inside `code`.
        unsafe {
            init_frame(sp, &f, &module.consts);
            ip = module.code.as_ptr().add(f.entry as usize);
        }
    }

    macro_rules! trap {
        ($code:expr) => {
            return Err(Trap::from($code))
        };
    }
    // Frame slots (see the SAFETY note of this function).
    macro_rules! get {
        ($i:expr) => {
            unsafe { *sp.add($i as usize) }
        };
    }
    macro_rules! set {
        ($i:expr, $v:expr) => {{
            let v = $v;
            unsafe { *sp.add($i as usize) = v }
        }};
    }
    macro_rules! un {
        ($r:expr, $t:ty, |$a:ident| $e:expr) => {{
            let r = $r;
            let $a = <$t>::from_slot(get!(r.src));
            set!(r.dst, ($e).into_slot());
        }};
    }
    macro_rules! un_trap {
        ($r:expr, $t:ty, |$a:ident| $e:expr) => {{
            let r = $r;
            let $a = <$t>::from_slot(get!(r.src));
            match $e {
                Ok(v) => set!(r.dst, v.into_slot()),
                Err(code) => trap!(code),
            }
        }};
    }
    macro_rules! bin {
        ($r:expr, $t:ty, |$a:ident, $b:ident| $e:expr) => {{
            let r = $r;
            let $a = <$t>::from_slot(get!(r.a));
            let $b = <$t>::from_slot(get!(r.b));
            set!(r.dst, ($e).into_slot());
        }};
    }
    macro_rules! bin_trap {
        ($r:expr, $t:ty, $f:expr) => {{
            let r = $r;
            let a = <$t>::from_slot(get!(r.a));
            let b = <$t>::from_slot(get!(r.b));
            match $f(a, b) {
                Ok(v) => set!(r.dst, v.into_slot()),
                Err(code) => trap!(code),
            }
        }};
    }
    'context: loop {
        // (Re)load the per-instance context: code, constants, memory and globals.
        let inst = &store.instances[instance as usize];
        let module = inst.module.inner.clone();
        let code: *const Op = module.code.as_ptr();
        let mem_idx = inst.memories.first().map_or(usize::MAX, |&m| m as usize);
        let mut mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
        let mut globals = GlobalsView::of(store, instance);

        // Jumps to absolute op index `$target` of this module's code.
        macro_rules! jump {
            ($target:expr) => {
                ip = unsafe { code.add($target as usize) }
            };
        }
        macro_rules! br_cmp {
            ($b:expr, $t:ty, |$x:ident, $y:ident| $e:expr) => {{
                let b = $b;
                let $x = <$t>::from_slot(get!(b.a));
                let $y = <$t>::from_slot(get!(b.b));
                if $e {
                    jump!(b.target);
                }
            }};
        }
        macro_rules! br_test {
            ($b:expr, $t:ty, $taken_if_zero:expr) => {{
                let b = $b;
                if (<$t>::from_slot(get!(b.cond)) == 0) == $taken_if_zero {
                    jump!(b.target);
                }
            }};
        }
        // Pops the current frame; leaves the function when it was the entry frame.
        macro_rules! ret {
            () => {
                match frames.pop() {
                    None => return Ok(()),
                    Some(frame) => {
                        ip = frame.ret_ip;
                        sp = frame.sp;
                        if frame.instance != instance {
                            instance = frame.instance;
                            continue 'context;
                        }
                    }
                }
            };
        }
        macro_rules! load {
            ($m:expr, $n:literal, |$b:ident| $e:expr) => {{
                let m = $m;
                let addr = get!(m.addr) as u32 as u64;
                match mem.read::<$n>(addr, m.offset) {
                    Ok($b) => set!(m.val, ($e).into_slot()),
                    Err(code) => trap!(code),
                }
            }};
        }
        macro_rules! store {
            ($m:expr, $n:literal, |$v:ident| $e:expr) => {{
                let m = $m;
                let $v = get!(m.val);
                let addr = get!(m.addr) as u32 as u64;
                if let Err(code) = mem.write::<$n>(addr, m.offset, $e) {
                    trap!(code)
                }
            }};
        }
        macro_rules! table_op {
            ($f:expr) => {
                if let Err(code) = $f {
                    trap!(code)
                }
            };
        }
        // Enters defined function `$f` of `$module` whose arguments start at slot `$base`.
        macro_rules! enter {
            ($f:expr, $module:expr, $base:expr) => {{
                let f = $f;
                let new_sp = sp.wrapping_add($base as usize);
                let room = stack_end.saturating_sub(new_sp as usize) / 8;
                if frames.len() + 1 >= max_depth || (f.frame_size as usize) > room {
                    trap!(TrapCode::CallStackExhausted);
                }
                frames.push(Frame {
                    ret_ip: ip,
                    sp,
                    instance,
                });
                // SAFETY: the new frame fits in the stack (checked above); `entry` is in `code`.
                unsafe {
                    init_frame(new_sp, &f, &$module.consts);
                    ip = $module.code.as_ptr().add(f.entry as usize);
                }
                sp = new_sp;
            }};
        }
        // Calls store function `$f` with arguments from slot `$base`.
        macro_rules! call_func {
            ($f:expr, $base:expr) => {{
                match store.funcs[$f as usize] {
                    FuncEntity::Wasm {
                        instance: callee_inst,
                        index,
                        ..
                    } => {
                        if callee_inst == instance {
                            enter!(module.funcs[index as usize], module, $base);
                        } else {
                            let callee = store.instances[callee_inst as usize].module.inner.clone();
                            enter!(callee.funcs[index as usize], callee, $base);
                            instance = callee_inst;
                            continue 'context;
                        }
                    }
                    FuncEntity::Host { .. } => {
                        let args_at = sp.wrapping_add($base as usize);
                        let room = stack_end.saturating_sub(args_at as usize) / 8;
                        // SAFETY: `args_at..args_at + room` lies within `s`.
                        let slots = unsafe { std::slice::from_raw_parts_mut(args_at, room) };
                        call_host(store, $f, instance, slots)?;
                        mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
                        globals = GlobalsView::of(store, instance);
                    }
                }
            }};
        }

        loop {
            // SAFETY: `ip` points into `code` (see the SAFETY note of this function).
            let op = unsafe { *ip };
            ip = unsafe { ip.add(1) };
            match op {
                Op::Copy(r) => set!(r.dst, get!(r.src)),
                Op::Unreachable => trap!(TrapCode::Unreachable),
                Op::Jump(target) => jump!(target),
                Op::BrIfEqz(b) => br_test!(b, u32, true),
                Op::BrIfNez(b) => br_test!(b, u32, false),
                Op::BrIfI64Eqz(b) => br_test!(b, u64, true),
                Op::BrIfI64Nez(b) => br_test!(b, u64, false),
                Op::BrI32Eq(b) => br_cmp!(b, u32, |x, y| x == y),
                Op::BrI32Ne(b) => br_cmp!(b, u32, |x, y| x != y),
                Op::BrI32LtS(b) => br_cmp!(b, i32, |x, y| x < y),
                Op::BrI32LtU(b) => br_cmp!(b, u32, |x, y| x < y),
                Op::BrI32GtS(b) => br_cmp!(b, i32, |x, y| x > y),
                Op::BrI32GtU(b) => br_cmp!(b, u32, |x, y| x > y),
                Op::BrI32LeS(b) => br_cmp!(b, i32, |x, y| x <= y),
                Op::BrI32LeU(b) => br_cmp!(b, u32, |x, y| x <= y),
                Op::BrI32GeS(b) => br_cmp!(b, i32, |x, y| x >= y),
                Op::BrI32GeU(b) => br_cmp!(b, u32, |x, y| x >= y),
                Op::BrI64Eq(b) => br_cmp!(b, u64, |x, y| x == y),
                Op::BrI64Ne(b) => br_cmp!(b, u64, |x, y| x != y),
                Op::BrI64LtS(b) => br_cmp!(b, i64, |x, y| x < y),
                Op::BrI64LtU(b) => br_cmp!(b, u64, |x, y| x < y),
                Op::BrI64GtS(b) => br_cmp!(b, i64, |x, y| x > y),
                Op::BrI64GtU(b) => br_cmp!(b, u64, |x, y| x > y),
                Op::BrI64LeS(b) => br_cmp!(b, i64, |x, y| x <= y),
                Op::BrI64LeU(b) => br_cmp!(b, u64, |x, y| x <= y),
                Op::BrI64GeS(b) => br_cmp!(b, i64, |x, y| x >= y),
                Op::BrI64GeU(b) => br_cmp!(b, u64, |x, y| x >= y),
                Op::BrTable(index, len, src) => {
                    let i = (get!(index) as u32).min(len);
                    // SAFETY: `len + 1` entries follow the table.
                    let Op::BrEntry(entry) = (unsafe { *ip.add(i as usize) }) else {
                        unreachable!("br_table entries follow the table");
                    };
                    let from = sp.wrapping_add(src as usize);
                    if entry.target == RETURN_TARGET {
                        // SAFETY: both ranges are slots of the current frame.
                        unsafe { std::ptr::copy(from, sp, entry.count as usize) };
                        ret!();
                    } else {
                        let to = sp.wrapping_add(entry.dst as usize);
                        // SAFETY: as above.
                        unsafe { std::ptr::copy(from, to, entry.count as usize) };
                        jump!(entry.target);
                    }
                }
                Op::BrEntry(_) | Op::CallArgs(_) => {
                    unreachable!("pseudo-ops are read by their leader")
                }
                Op::Return(base, count) => {
                    let from = sp.wrapping_add(base as usize);
                    // SAFETY: both ranges are slots of the current frame.
                    unsafe { std::ptr::copy(from, sp, count as usize) };
                    ret!();
                }
                Op::Return1(src) => {
                    set!(0, get!(src));
                    ret!();
                }
                Op::CallInternal(i, base) => enter!(module.funcs[i as usize], module, base),
                Op::CallImport(i, base) => {
                    let func = store.instances[instance as usize].funcs[i as usize];
                    call_func!(func, base);
                }
                Op::CallIndirect(type_id, table, index) => {
                    // SAFETY: a `CallArgs` follows every `CallIndirect`.
                    let Op::CallArgs(base) = (unsafe { *ip }) else {
                        unreachable!("call_indirect is followed by its argument base");
                    };
                    ip = unsafe { ip.add(1) };
                    let i = get!(index) as u32;
                    let t = store.instances[instance as usize].tables[table as usize];
                    let func = match store.tables[t as usize].elements.get(i as usize) {
                        Some(&0) => trap!(TrapCode::UninitializedElement),
                        Some(&slot) => (slot - 1) as u32,
                        None => trap!(TrapCode::UndefinedElement),
                    };
                    if store.funcs[func as usize].type_id() != type_id {
                        trap!(TrapCode::IndirectCallTypeMismatch);
                    }
                    call_func!(func, base);
                }
                Op::ConsumeGas(amount) => match store.gas.checked_sub(amount) {
                    Some(left) => store.gas = left,
                    None => trap!(TrapCode::OutOfGas),
                },
                Op::ChargePerUnit(n, k) => {
                    let amount = GasCharge::PerUnit(k).amount(get!(n) as u32);
                    store.consume_gas(amount)?;
                }
                Op::ChargePerWord32(n, k) => {
                    let amount = GasCharge::PerWord32(k).amount(get!(n) as u32);
                    store.consume_gas(amount)?;
                }
                Op::Select(r) => {
                    if get!(r.b) as u32 == 0 {
                        set!(r.dst, get!(r.a));
                    }
                }
                Op::GlobalGet(dst, i) => set!(dst, globals.get(i)),
                Op::GlobalSet(src, i) => globals.set(i, get!(src)),
                Op::TableGet(b) => {
                    let i = get!(b.base) as u32 as usize;
                    let t = store.instances[instance as usize].tables[b.index as usize];
                    match store.tables[t as usize].elements.get(i) {
                        Some(&v) => set!(b.base, v),
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSet(b) => {
                    let (i, v) = (get!(b.base) as u32 as usize, get!(b.base + 1));
                    let t = store.instances[instance as usize].tables[b.index as usize];
                    match store.tables[t as usize].elements.get_mut(i) {
                        Some(e) => *e = v,
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSize(dst, t) => {
                    let t = store.instances[instance as usize].tables[t as usize];
                    set!(dst, store.tables[t as usize].elements.len() as u64)
                }
                Op::TableGrow(b) => {
                    let (init, delta) = (get!(b.base), get!(b.base + 1) as u32);
                    let old = table_grow(store, instance, b.index, delta, init, max_elements);
                    set!(b.base, old.unwrap_or(u32::MAX) as u64);
                }
                Op::TableFill(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    table_op!(table_fill(store, instance, b, args))
                }
                Op::TableCopy(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    table_op!(table_copy(store, instance, b, args))
                }
                Op::TableInit(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    table_op!(table_init(store, instance, b, args))
                }
                Op::ElemDrop(e) => {
                    store.instances[instance as usize].elems[e as usize] = Arc::new([])
                }
                Op::RefFunc(dst, f) => {
                    set!(
                        dst,
                        store.instances[instance as usize].funcs[f as usize] as u64 + 1
                    )
                }

                Op::I32Load(m) => load!(m, 4, |b| u32::from_le_bytes(b)),
                Op::I64Load(m) => load!(m, 8, |b| u64::from_le_bytes(b)),
                Op::I32Load8S(m) => load!(m, 1, |b| b[0] as i8 as i32),
                Op::I32Load8U(m) => load!(m, 1, |b| b[0] as u32),
                Op::I32Load16S(m) => load!(m, 2, |b| i16::from_le_bytes(b) as i32),
                Op::I32Load16U(m) => load!(m, 2, |b| u16::from_le_bytes(b) as u32),
                Op::I64Load8S(m) => load!(m, 1, |b| b[0] as i8 as i64),
                Op::I64Load8U(m) => load!(m, 1, |b| b[0] as u64),
                Op::I64Load16S(m) => load!(m, 2, |b| i16::from_le_bytes(b) as i64),
                Op::I64Load16U(m) => load!(m, 2, |b| u16::from_le_bytes(b) as u64),
                Op::I64Load32S(m) => load!(m, 4, |b| i32::from_le_bytes(b) as i64),
                Op::I64Load32U(m) => load!(m, 4, |b| u32::from_le_bytes(b) as u64),
                Op::I32Store(m) => store!(m, 4, |v| (v as u32).to_le_bytes()),
                Op::I64Store(m) => store!(m, 8, |v| v.to_le_bytes()),
                Op::I32Store8(m) => store!(m, 1, |v| [v as u8]),
                Op::I32Store16(m) => store!(m, 2, |v| (v as u16).to_le_bytes()),
                Op::I64Store8(m) => store!(m, 1, |v| [v as u8]),
                Op::I64Store16(m) => store!(m, 2, |v| (v as u16).to_le_bytes()),
                Op::I64Store32(m) => store!(m, 4, |v| (v as u32).to_le_bytes()),
                Op::MemorySize(dst) => set!(dst, (mem.len / PAGE_SIZE) as u64),
                Op::MemoryGrow(r) => {
                    let delta = get!(r.src) as u32;
                    let old = store.memories[mem_idx].grow(delta, max_pages);
                    set!(r.dst, old.unwrap_or(u32::MAX) as u64);
                    mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
                }
                Op::MemoryInit(b) => {
                    let args = [get!(b.base), get!(b.base + 1), get!(b.base + 2)];
                    let seg = &store.instances[instance as usize].datas[b.index as usize];
                    table_op!(mem.init(seg, args))
                }
                Op::DataDrop(d) => {
                    store.instances[instance as usize].datas[d as usize] = Arc::new([])
                }
                Op::MemoryCopy(base) => {
                    table_op!(mem.copy([get!(base), get!(base + 1), get!(base + 2)]))
                }
                Op::MemoryFill(base) => {
                    table_op!(mem.fill([get!(base), get!(base + 1), get!(base + 2)]))
                }
                Op::I32Eqz(r) => un!(r, u32, |a| a == 0),
                Op::I32Eq(r) => bin!(r, u32, |a, b| a == b),
                Op::I32Ne(r) => bin!(r, u32, |a, b| a != b),
                Op::I32LtS(r) => bin!(r, i32, |a, b| a < b),
                Op::I32LtU(r) => bin!(r, u32, |a, b| a < b),
                Op::I32GtS(r) => bin!(r, i32, |a, b| a > b),
                Op::I32GtU(r) => bin!(r, u32, |a, b| a > b),
                Op::I32LeS(r) => bin!(r, i32, |a, b| a <= b),
                Op::I32LeU(r) => bin!(r, u32, |a, b| a <= b),
                Op::I32GeS(r) => bin!(r, i32, |a, b| a >= b),
                Op::I32GeU(r) => bin!(r, u32, |a, b| a >= b),
                Op::I32Clz(r) => un!(r, u32, |a| a.leading_zeros()),
                Op::I32Ctz(r) => un!(r, u32, |a| a.trailing_zeros()),
                Op::I32Popcnt(r) => un!(r, u32, |a| a.count_ones()),
                Op::I32Add(r) => bin!(r, u32, |a, b| a.wrapping_add(b)),
                Op::I32Sub(r) => bin!(r, u32, |a, b| a.wrapping_sub(b)),
                Op::I32Mul(r) => bin!(r, u32, |a, b| a.wrapping_mul(b)),
                Op::I32DivS(r) => bin_trap!(r, i32, div_s!(i32)),
                Op::I32DivU(r) => bin_trap!(r, u32, checked!(u32, wrapping_div)),
                Op::I32RemS(r) => bin_trap!(r, i32, checked!(i32, wrapping_rem)),
                Op::I32RemU(r) => bin_trap!(r, u32, checked!(u32, wrapping_rem)),
                Op::I32And(r) => bin!(r, u32, |a, b| a & b),
                Op::I32Or(r) => bin!(r, u32, |a, b| a | b),
                Op::I32Xor(r) => bin!(r, u32, |a, b| a ^ b),
                Op::I32Shl(r) => bin!(r, u32, |a, b| a.wrapping_shl(b)),
                Op::I32ShrS(r) => bin!(r, i32, |a, b| a.wrapping_shr(b as u32)),
                Op::I32ShrU(r) => bin!(r, u32, |a, b| a.wrapping_shr(b)),
                Op::I32Rotl(r) => bin!(r, u32, |a, b| a.rotate_left(b)),
                Op::I32Rotr(r) => bin!(r, u32, |a, b| a.rotate_right(b)),

                Op::I64Eqz(r) => un!(r, u64, |a| a == 0),
                Op::I64Eq(r) => bin!(r, u64, |a, b| a == b),
                Op::I64Ne(r) => bin!(r, u64, |a, b| a != b),
                Op::I64LtS(r) => bin!(r, i64, |a, b| a < b),
                Op::I64LtU(r) => bin!(r, u64, |a, b| a < b),
                Op::I64GtS(r) => bin!(r, i64, |a, b| a > b),
                Op::I64GtU(r) => bin!(r, u64, |a, b| a > b),
                Op::I64LeS(r) => bin!(r, i64, |a, b| a <= b),
                Op::I64LeU(r) => bin!(r, u64, |a, b| a <= b),
                Op::I64GeS(r) => bin!(r, i64, |a, b| a >= b),
                Op::I64GeU(r) => bin!(r, u64, |a, b| a >= b),
                Op::I64Clz(r) => un!(r, u64, |a| a.leading_zeros() as u64),
                Op::I64Ctz(r) => un!(r, u64, |a| a.trailing_zeros() as u64),
                Op::I64Popcnt(r) => un!(r, u64, |a| a.count_ones() as u64),
                Op::I64Add(r) => bin!(r, u64, |a, b| a.wrapping_add(b)),
                Op::I64Sub(r) => bin!(r, u64, |a, b| a.wrapping_sub(b)),
                Op::I64Mul(r) => bin!(r, u64, |a, b| a.wrapping_mul(b)),
                Op::I64DivS(r) => bin_trap!(r, i64, div_s!(i64)),
                Op::I64DivU(r) => bin_trap!(r, u64, checked!(u64, wrapping_div)),
                Op::I64RemS(r) => bin_trap!(r, i64, checked!(i64, wrapping_rem)),
                Op::I64RemU(r) => bin_trap!(r, u64, checked!(u64, wrapping_rem)),
                Op::I64And(r) => bin!(r, u64, |a, b| a & b),
                Op::I64Or(r) => bin!(r, u64, |a, b| a | b),
                Op::I64Xor(r) => bin!(r, u64, |a, b| a ^ b),
                Op::I64Shl(r) => bin!(r, u64, |a, b| a.wrapping_shl(b as u32)),
                Op::I64ShrS(r) => bin!(r, i64, |a, b| a.wrapping_shr(b as u32)),
                Op::I64ShrU(r) => bin!(r, u64, |a, b| a.wrapping_shr(b as u32)),
                Op::I64Rotl(r) => bin!(r, u64, |a, b| a.rotate_left((b % 64) as u32)),
                Op::I64Rotr(r) => bin!(r, u64, |a, b| a.rotate_right((b % 64) as u32)),

                Op::F32Eq(r) => bin!(r, f32, |a, b| a == b),
                Op::F32Ne(r) => bin!(r, f32, |a, b| a != b),
                Op::F32Lt(r) => bin!(r, f32, |a, b| a < b),
                Op::F32Gt(r) => bin!(r, f32, |a, b| a > b),
                Op::F32Le(r) => bin!(r, f32, |a, b| a <= b),
                Op::F32Ge(r) => bin!(r, f32, |a, b| a >= b),
                Op::F32Abs(r) => un!(r, u32, |a| a & 0x7fff_ffff),
                Op::F32Neg(r) => un!(r, u32, |a| a ^ 0x8000_0000),
                Op::F32Ceil(r) => un!(r, f32, |a| canon(a.ceil())),
                Op::F32Floor(r) => un!(r, f32, |a| canon(a.floor())),
                Op::F32Trunc(r) => un!(r, f32, |a| canon(a.trunc())),
                Op::F32Nearest(r) => un!(r, f32, |a| canon(a.round_ties_even())),
                Op::F32Sqrt(r) => un!(r, f32, |a| canon(a.sqrt())),
                Op::F32Add(r) => bin!(r, f32, |a, b| canon(a + b)),
                Op::F32Sub(r) => bin!(r, f32, |a, b| canon(a - b)),
                Op::F32Mul(r) => bin!(r, f32, |a, b| canon(a * b)),
                Op::F32Div(r) => bin!(r, f32, |a, b| canon(a / b)),
                Op::F32Min(r) => bin!(r, f32, |a, b| fmin(a, b)),
                Op::F32Max(r) => bin!(r, f32, |a, b| fmax(a, b)),
                Op::F32Copysign(r) => bin!(r, u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000)),

                Op::F64Eq(r) => bin!(r, f64, |a, b| a == b),
                Op::F64Ne(r) => bin!(r, f64, |a, b| a != b),
                Op::F64Lt(r) => bin!(r, f64, |a, b| a < b),
                Op::F64Gt(r) => bin!(r, f64, |a, b| a > b),
                Op::F64Le(r) => bin!(r, f64, |a, b| a <= b),
                Op::F64Ge(r) => bin!(r, f64, |a, b| a >= b),
                Op::F64Abs(r) => un!(r, u64, |a| a & 0x7fff_ffff_ffff_ffff),
                Op::F64Neg(r) => un!(r, u64, |a| a ^ 0x8000_0000_0000_0000),
                Op::F64Ceil(r) => un!(r, f64, |a| canon(a.ceil())),
                Op::F64Floor(r) => un!(r, f64, |a| canon(a.floor())),
                Op::F64Trunc(r) => un!(r, f64, |a| canon(a.trunc())),
                Op::F64Nearest(r) => un!(r, f64, |a| canon(a.round_ties_even())),
                Op::F64Sqrt(r) => un!(r, f64, |a| canon(a.sqrt())),
                Op::F64Add(r) => bin!(r, f64, |a, b| canon(a + b)),
                Op::F64Sub(r) => bin!(r, f64, |a, b| canon(a - b)),
                Op::F64Mul(r) => bin!(r, f64, |a, b| canon(a * b)),
                Op::F64Div(r) => bin!(r, f64, |a, b| canon(a / b)),
                Op::F64Min(r) => bin!(r, f64, |a, b| fmin(a, b)),
                Op::F64Max(r) => bin!(r, f64, |a, b| fmax(a, b)),
                Op::F64Copysign(r) => bin!(r, u64, |a, b| (a & 0x7fff_ffff_ffff_ffff)
                    | (b & 0x8000_0000_0000_0000)),

                Op::I32WrapI64(r) => un!(r, u64, |a| a as u32),
                Op::I32TruncF32S(r) => un_trap!(r, f32, |a| trunc_checked(a, I32_S.0, I32_S.1)
                    .map(|t| t as i32)),
                Op::I32TruncF32U(r) => un_trap!(r, f32, |a| trunc_checked(a, I32_U.0, I32_U.1)
                    .map(|t| t as u32)),
                Op::I32TruncF64S(r) => un_trap!(r, f64, |a| trunc_checked(a, I32_S.0, I32_S.1)
                    .map(|t| t as i32)),
                Op::I32TruncF64U(r) => un_trap!(r, f64, |a| trunc_checked(a, I32_U.0, I32_U.1)
                    .map(|t| t as u32)),
                Op::I64ExtendI32S(r) => un!(r, i32, |a| a as i64),
                Op::I64ExtendI32U(r) => un!(r, u32, |a| a as u64),
                Op::I64TruncF32S(r) => un_trap!(r, f32, |a| trunc_checked(a, I64_S.0, I64_S.1)
                    .map(|t| t as i64)),
                Op::I64TruncF32U(r) => un_trap!(r, f32, |a| trunc_checked(a, I64_U.0, I64_U.1)
                    .map(|t| t as u64)),
                Op::I64TruncF64S(r) => un_trap!(r, f64, |a| trunc_checked(a, I64_S.0, I64_S.1)
                    .map(|t| t as i64)),
                Op::I64TruncF64U(r) => un_trap!(r, f64, |a| trunc_checked(a, I64_U.0, I64_U.1)
                    .map(|t| t as u64)),
                Op::F32ConvertI32S(r) => un!(r, i32, |a| a as f32),
                Op::F32ConvertI32U(r) => un!(r, u32, |a| a as f32),
                Op::F32ConvertI64S(r) => un!(r, i64, |a| a as f32),
                Op::F32ConvertI64U(r) => un!(r, u64, |a| a as f32),
                Op::F32DemoteF64(r) => un!(r, f64, |a| canon(a as f32)),
                Op::F64ConvertI32S(r) => un!(r, i32, |a| a as f64),
                Op::F64ConvertI32U(r) => un!(r, u32, |a| a as f64),
                Op::F64ConvertI64S(r) => un!(r, i64, |a| a as f64),
                Op::F64ConvertI64U(r) => un!(r, u64, |a| a as f64),
                Op::F64PromoteF32(r) => un!(r, f32, |a| canon(a as f64)),
                Op::I32Extend8S(r) => un!(r, u32, |a| a as i8 as i32),
                Op::I32Extend16S(r) => un!(r, u32, |a| a as i16 as i32),
                Op::I64Extend8S(r) => un!(r, u64, |a| a as i8 as i64),
                Op::I64Extend16S(r) => un!(r, u64, |a| a as i16 as i64),
                Op::I64Extend32S(r) => un!(r, u64, |a| a as i32 as i64),
                Op::I32TruncSatF32S(r) => un!(r, f32, |a| a as i32),
                Op::I32TruncSatF32U(r) => un!(r, f32, |a| a as u32),
                Op::I32TruncSatF64S(r) => un!(r, f64, |a| a as i32),
                Op::I32TruncSatF64U(r) => un!(r, f64, |a| a as u32),
                Op::I64TruncSatF32S(r) => un!(r, f32, |a| a as i64),
                Op::I64TruncSatF32U(r) => un!(r, f32, |a| a as u64),
                Op::I64TruncSatF64S(r) => un!(r, f64, |a| a as i64),
                Op::I64TruncSatF64U(r) => un!(r, f64, |a| a as u64),
            }
        }
    }
}

/// Prepares a frame at `sp` for `f`: zeroes its declared locals and copies in its constants.
///
/// # Safety
/// `sp..sp + f.frame_size` must lie within the value stack, and `f`'s constants within `pool`.
#[inline(always)]
unsafe fn init_frame(sp: *mut u64, f: &TranslatedFunc, pool: &[u64]) {
    let locals = sp.add(f.params as usize);
    for i in 0..f.locals as usize {
        *locals.add(i) = 0;
    }
    let consts = locals.add(f.locals as usize);
    let src = pool.as_ptr().add(f.consts_start as usize);
    for i in 0..f.consts_len as usize {
        *consts.add(i) = *src.add(i);
    }
}
