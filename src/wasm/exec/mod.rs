//! The executor: one loop over the internal code (see [`super::ir`]) with an explicit frame
//! stack, so Wasm calls never recurse on the host stack.

mod num;

use std::sync::Arc;

use num::{canon, checked, div_s, fmax, fmin, trunc_checked, Slot, I32_S, I32_U, I64_S, I64_U};

use super::error::{Trap, TrapCode};
use super::func::Caller;
use super::gas::GasCharge;
use super::ir::{Op, StackCheck, RETURN_TARGET};
use super::store::{FuncEntity, Store};
use super::translate::TranslatedFunc;
use super::value::Val;

/// Where to resume the caller after a return.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ret_pc: u32,
    fp: u32,
    instance: u32,
}

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

/// The current instance's linear memory as a raw view, cached in the executor so that loads
/// and stores skip the store's lookups. It is refreshed whenever the buffer may have moved: after
/// `memory.grow`, after every host call and on every change of instance.
#[derive(Clone, Copy)]
struct MemView {
    ptr: *mut u8,
    len: usize,
}

impl MemView {
    fn of(memory: Option<&mut Vec<u8>>) -> Self {
        match memory {
            Some(data) => MemView {
                ptr: data.as_mut_ptr(),
                len: data.len(),
            },
            None => MemView {
                ptr: std::ptr::null_mut(),
                len: 0,
            },
        }
    }

    /// Reads `N` bytes at `addr + offset`, or traps out of bounds.
    #[inline(always)]
    fn read<const N: usize>(self, addr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
        let start = addr as usize + offset as usize;
        if start + N > self.len {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: `start + N <= len`, and `ptr`/`len` describe the live buffer (see the type docs).
        Ok(unsafe { std::ptr::read_unaligned(self.ptr.add(start) as *const [u8; N]) })
    }

    /// Writes `N` bytes at `addr + offset`, or traps out of bounds.
    #[inline(always)]
    fn write<const N: usize>(self, addr: u64, offset: u32, bytes: [u8; N]) -> Result<(), TrapCode> {
        let start = addr as usize + offset as usize;
        if start + N > self.len {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: as in `read`.
        unsafe { std::ptr::write_unaligned(self.ptr.add(start) as *mut [u8; N], bytes) };
        Ok(())
    }
}

/// Checks that `[start, start + len)` lies within `size`, as `usize` bounds.
#[inline(always)]
fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> Result<std::ops::Range<usize>, TrapCode> {
    let end = start + len;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

/// Runs defined function `index` of instance `instance`, whose `nargs` arguments are at the
/// bottom of `s`; leaves its results there.
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
    let mut frames: Vec<Frame> = Vec::new();
    let mut fp: usize = 0;
    let mut pc: usize;
    {
        let module = &store.instances[instance as usize].module.inner;
        let f = module.funcs[index as usize];
        if f.frame_size as usize > s.len() || nargs != f.params as usize {
            return Err(TrapCode::CallStackExhausted.into());
        }
        init_frame(s, 0, &f, &module.consts);
        pc = f.entry as usize;
    }

    macro_rules! trap {
        ($code:expr) => {
            return Err(Trap::from($code))
        };
    }
    // Frame slots. SAFETY: the translator names only slots below the function's
    // `frame_size`, and every frame is entered only after checking
    // `fp + frame_size <= s.len()` (see `init_frame` and `enter!`).
    macro_rules! get {
        ($i:expr) => {{
            let i = fp + $i as usize;
            debug_assert!(i < s.len());
            unsafe { *s.get_unchecked(i) }
        }};
    }
    macro_rules! set {
        ($i:expr, $v:expr) => {{
            let v = $v;
            let i = fp + $i as usize;
            debug_assert!(i < s.len());
            unsafe { *s.get_unchecked_mut(i) = v }
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
    macro_rules! br_cmp {
        ($b:expr, $t:ty, |$x:ident, $y:ident| $e:expr) => {{
            let b = $b;
            let $x = <$t>::from_slot(get!(b.a));
            let $y = <$t>::from_slot(get!(b.b));
            if $e {
                pc = b.target as usize;
            }
        }};
    }
    macro_rules! br_test {
        ($b:expr, $t:ty, $taken_if_zero:expr) => {{
            let b = $b;
            if (<$t>::from_slot(get!(b.cond)) == 0) == $taken_if_zero {
                pc = b.target as usize;
            }
        }};
    }
    'context: loop {
        // (Re)load the per-instance context: code, constants and memory.
        let inst = &store.instances[instance as usize];
        let module = inst.module.inner.clone();
        let code: &[Op] = &module.code;
        let mem_idx = inst.memories.first().map_or(usize::MAX, |&m| m as usize);
        let mut mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));

        // Pops the current frame; leaves the function when it was the entry frame.
        macro_rules! ret {
            () => {
                match frames.pop() {
                    None => return Ok(()),
                    Some(frame) => {
                        pc = frame.ret_pc as usize;
                        fp = frame.fp as usize;
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
        macro_rules! global {
            ($i:expr) => {
                store.globals[store.instances[instance as usize].globals[$i as usize] as usize]
            };
        }
        macro_rules! table {
            ($i:expr) => {
                store.tables[store.instances[instance as usize].tables[$i as usize] as usize]
            };
        }
        // Enters defined function `$f` (of a module with constant pool `$consts`) whose
        // arguments start at slot `$base`.
        macro_rules! enter {
            ($f:expr, $consts:expr, $base:expr) => {{
                let f = $f;
                let new_fp = fp + $base as usize;
                if frames.len() + 1 >= max_depth || new_fp + f.frame_size as usize > s.len() {
                    trap!(TrapCode::CallStackExhausted);
                }
                frames.push(Frame {
                    ret_pc: pc as u32,
                    fp: fp as u32,
                    instance,
                });
                init_frame(s, new_fp, &f, $consts);
                fp = new_fp;
                pc = f.entry as usize;
            }};
        }
        // Calls store function `$f` with arguments from slot `$base`.
        macro_rules! call_func {
            ($f:expr, $base:expr) => {{
                let base = $base as usize;
                match store.funcs[$f as usize] {
                    FuncEntity::Wasm {
                        instance: callee_inst,
                        index,
                        ..
                    } => {
                        if callee_inst == instance {
                            enter!(module.funcs[index as usize], &module.consts, base);
                        } else {
                            let callee = store.instances[callee_inst as usize].module.inner.clone();
                            enter!(callee.funcs[index as usize], &callee.consts, base);
                            instance = callee_inst;
                            continue 'context;
                        }
                    }
                    FuncEntity::Host {
                        ref ty, ref func, ..
                    } => {
                        let (ty, func) = (ty.clone(), func.clone());
                        let args_at = fp + base;
                        let args: Vec<Val> = ty
                            .params()
                            .iter()
                            .zip(&s[args_at..])
                            .map(|(t, v)| Val::from_slot(*t, *v))
                            .collect();
                        let mut results: Vec<Val> =
                            ty.results().iter().map(|t| Val::default_for(*t)).collect();
                        func(
                            Caller {
                                store: &mut *store,
                                instance: Some(instance),
                            },
                            &args,
                            &mut results,
                        )?;
                        for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
                            if r.ty() != *t {
                                return Err(Trap::host(HostResultTypeError));
                            }
                            s[args_at + i] = r.to_slot();
                        }
                        mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
                    }
                }
            }};
        }

        loop {
            let op = code[pc];
            pc += 1;
            match op {
                Op::Copy(r) => set!(r.dst, get!(r.src)),
                Op::Unreachable => trap!(TrapCode::Unreachable),
                Op::Jump(target) => pc = target as usize,
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
                    let i = get!(index) as u32;
                    let Op::BrEntry(entry) = code[pc + i.min(len) as usize] else {
                        unreachable!("br_table entries follow the table");
                    };
                    let (src, count) = (fp + src as usize, entry.count as usize);
                    if entry.target == RETURN_TARGET {
                        s.copy_within(src..src + count, fp);
                        ret!();
                    } else {
                        s.copy_within(src..src + count, fp + entry.dst as usize);
                        pc = entry.target as usize;
                    }
                }
                Op::BrEntry(_) | Op::CallArgs(_) => {
                    unreachable!("pseudo-ops are read by their leader")
                }
                Op::Return(base, count) => {
                    let from = fp + base as usize;
                    s.copy_within(from..from + count as usize, fp);
                    ret!();
                }
                Op::Return1(src) => {
                    s[fp] = get!(src);
                    ret!();
                }
                Op::CallInternal(i, base) => enter!(module.funcs[i as usize], &module.consts, base),
                Op::CallImport(i, base) => {
                    let func = store.instances[instance as usize].funcs[i as usize];
                    call_func!(func, base);
                }
                Op::CallIndirect(type_id, table, index) => {
                    let Op::CallArgs(base) = code[pc] else {
                        unreachable!("call_indirect is followed by its argument base");
                    };
                    pc += 1;
                    let i = get!(index) as u32;
                    let func = match table!(table).elements.get(i as usize) {
                        Some(&0) => trap!(TrapCode::UninitializedElement),
                        Some(&slot) => slot - 1,
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
                Op::StackEnter(check) => {
                    if stack_enter(store, instance, check) {
                        pc += 2; // skips the trap path
                    }
                }
                Op::StackLeave(g, cost) => {
                    let height = global_slot(store, instance, g);
                    *height = (*height as u32).wrapping_sub(cost) as u64;
                }
                Op::Select(r) => {
                    if get!(r.b) as u32 == 0 {
                        set!(r.dst, get!(r.a));
                    }
                }
                Op::GlobalGet(dst, i) => set!(dst, global!(i).value),
                Op::GlobalSet(src, i) => global!(i).value = get!(src),
                Op::TableGet(b) => {
                    let i = get!(b.base) as u32 as usize;
                    match table!(b.index).elements.get(i) {
                        Some(&v) => set!(b.base, v),
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSet(b) => {
                    let i = get!(b.base) as u32 as usize;
                    let v = get!(b.base + 1);
                    match table!(b.index).elements.get_mut(i) {
                        Some(e) => *e = v,
                        None => trap!(TrapCode::TableOutOfBounds),
                    }
                }
                Op::TableSize(dst, t) => set!(dst, table!(t).elements.len() as u64),
                Op::TableGrow(b) => {
                    let init = get!(b.base);
                    let delta = get!(b.base + 1) as u32;
                    let old = table!(b.index).grow(delta, init, max_elements);
                    set!(b.base, old.unwrap_or(u32::MAX) as u64);
                }
                Op::TableFill(b) => {
                    let d = get!(b.base) as u32 as u64;
                    let v = get!(b.base + 1);
                    let n = get!(b.base + 2) as u32 as u64;
                    let table = &mut table!(b.index);
                    let r = range(d, n, table.elements.len(), TrapCode::TableOutOfBounds)?;
                    table.elements[r].fill(v);
                }
                Op::TableCopy(b) => {
                    let dst_at = get!(b.base) as u32 as u64;
                    let src_at = get!(b.base + 1) as u32 as u64;
                    let n = get!(b.base + 2) as u32 as u64;
                    let inst = &store.instances[instance as usize];
                    let (dst, src) = (
                        inst.tables[b.index as usize] as usize,
                        inst.tables[b.other as usize] as usize,
                    );
                    let sr = range(
                        src_at,
                        n,
                        store.tables[src].elements.len(),
                        TrapCode::TableOutOfBounds,
                    )?;
                    let dr = range(
                        dst_at,
                        n,
                        store.tables[dst].elements.len(),
                        TrapCode::TableOutOfBounds,
                    )?;
                    if dst == src {
                        store.tables[dst].elements.copy_within(sr, dr.start);
                    } else {
                        let (lo, hi) = store.tables.split_at_mut(dst.max(src));
                        let (d, s2) = if dst < src {
                            (&mut lo[dst], &hi[0])
                        } else {
                            (&mut hi[0], &lo[src])
                        };
                        d.elements[dr].copy_from_slice(&s2.elements[sr]);
                    }
                }
                Op::TableInit(b) => {
                    let dst_at = get!(b.base) as u32 as u64;
                    let src_at = get!(b.base + 1) as u32 as u64;
                    let n = get!(b.base + 2) as u32 as u64;
                    let inst = &store.instances[instance as usize];
                    let seg = &inst.elems[b.other as usize];
                    let table = &mut store.tables[inst.tables[b.index as usize] as usize];
                    let sr = range(src_at, n, seg.len(), TrapCode::TableOutOfBounds)?;
                    let dr = range(dst_at, n, table.elements.len(), TrapCode::TableOutOfBounds)?;
                    table.elements[dr].copy_from_slice(&seg[sr]);
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
                Op::MemorySize(dst) => set!(dst, store.memories[mem_idx].pages() as u64),
                Op::MemoryGrow(r) => {
                    let delta = get!(r.src) as u32;
                    let old = store.memories[mem_idx].grow(delta, max_pages);
                    set!(r.dst, old.unwrap_or(u32::MAX) as u64);
                    mem = MemView::of(store.memories.get_mut(mem_idx).map(|m| &mut m.data));
                }
                Op::MemoryInit(b) => {
                    let dst_at = get!(b.base) as u32 as u64;
                    let src_at = get!(b.base + 1) as u32 as u64;
                    let n = get!(b.base + 2) as u32 as u64;
                    let seg = &store.instances[instance as usize].datas[b.index as usize];
                    let mem = &mut store.memories[mem_idx].data;
                    let sr = range(src_at, n, seg.len(), TrapCode::MemoryOutOfBounds)?;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem[dr].copy_from_slice(&seg[sr]);
                }
                Op::DataDrop(d) => {
                    store.instances[instance as usize].datas[d as usize] = Arc::new([])
                }
                Op::MemoryCopy(base) => {
                    let dst_at = get!(base) as u32 as u64;
                    let src_at = get!(base + 1) as u32 as u64;
                    let n = get!(base + 2) as u32 as u64;
                    let mem = &mut store.memories[mem_idx].data;
                    let sr = range(src_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem.copy_within(sr, dr.start);
                }
                Op::MemoryFill(base) => {
                    let dst_at = get!(base) as u32 as u64;
                    let v = get!(base + 1) as u8;
                    let n = get!(base + 2) as u32 as u64;
                    let mem = &mut store.memories[mem_idx].data;
                    let dr = range(dst_at, n, mem.len(), TrapCode::MemoryOutOfBounds)?;
                    mem[dr].fill(v);
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

/// The value of global `g` of instance `instance`.
#[inline(always)]
fn global_slot<T>(store: &mut Store<T>, instance: u32, g: u32) -> &mut u64 {
    let index = store.instances[instance as usize].globals[g as usize];
    &mut store.globals[index as usize].value
}

/// [`Op::StackEnter`]: raises the height; whether it is still within the limit.
#[inline(always)]
fn stack_enter<T>(store: &mut Store<T>, instance: u32, check: StackCheck) -> bool {
    let height = global_slot(store, instance, check.global);
    let new = (*height as u32).wrapping_add(check.cost);
    *height = new as u64;
    new <= check.limit
}

/// Prepares a frame at `fp` for `f`: zeroes its declared locals and copies in its constants.
#[inline(always)]
fn init_frame(s: &mut [u64], fp: usize, f: &TranslatedFunc, pool: &[u64]) {
    let locals = fp + f.params as usize;
    let consts = locals + f.locals as usize;
    s[locals..consts].fill(0);
    let (start, len) = (f.consts_start as usize, f.consts_len as usize);
    s[consts..consts + len].copy_from_slice(&pool[start..start + len]);
}

/// A host function returned a value of the wrong type.
#[derive(Debug, thiserror::Error)]
#[error("host function returned a result of the wrong type")]
struct HostResultTypeError;
